package kastest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Event is one change the server reports to a watch.
type Event struct {
	Type     string // ADDED, MODIFIED, DELETED
	Resource string // the collection path it came from
	Name     string
	Rev      int64 // the object's resourceVersion: a global etcd revision
	Object   json.RawMessage
}

// Events replays what happened to the objects of the given collections
// since revision since, merged into one sequence in the order the server
// applied it. The server replays past events at once; a watch is ended
// after quiet of silence.
func (s *Server) Events(t testing.TB, since string, collections ...string) []Event {
	t.Helper()
	const quiet = 200 * time.Millisecond
	var mu sync.Mutex
	var all []Event
	var wg sync.WaitGroup
	for _, c := range collections {
		wg.Go(func() {
			evs, err := s.watch(c, since, quiet)
			if err != nil {
				t.Errorf("watching %s since %s: %v", c, since, err)
			}
			mu.Lock()
			all = append(all, evs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i].Rev < all[j].Rev })
	return all
}

func (s *Server) watch(collection, since string, quiet time.Duration) ([]Event, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+collection+"?watch=1&timeoutSeconds=10&resourceVersion="+since, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%d %s", resp.StatusCode, body)
	}
	got := make(chan Event)
	done := make(chan error, 1)
	go func() {
		dec := json.NewDecoder(resp.Body)
		for {
			var e struct {
				Type   string          `json:"type"`
				Object json.RawMessage `json:"object"`
			}
			if err := dec.Decode(&e); err != nil {
				done <- err
				return
			}
			var m struct {
				Metadata struct {
					Name            string `json:"name"`
					ResourceVersion string `json:"resourceVersion"`
				} `json:"metadata"`
			}
			_ = json.Unmarshal(e.Object, &m)
			rev, _ := strconv.ParseInt(m.Metadata.ResourceVersion, 10, 64)
			select {
			case got <- Event{Type: e.Type, Resource: collection, Name: m.Metadata.Name, Rev: rev, Object: e.Object}:
			case <-ctx.Done():
				done <- nil
				return
			}
		}
	}()
	var evs []Event
	for {
		select {
		case e := <-got:
			evs = append(evs, e)
		case err := <-done:
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return evs, err
		case <-time.After(quiet):
			return evs, nil
		}
	}
}

// Revision is the server's current revision, for Events.
func (s *Server) Revision(t testing.TB) string {
	t.Helper()
	var l struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	s.Object(t, "/api/v1/namespaces?limit=1", &l)
	return l.Metadata.ResourceVersion
}
