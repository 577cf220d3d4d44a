package etcdtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Raw key/value access, for seeding and for golden assertions on the exact
// bytes stored.

// KV is one stored key and its value.
type KV struct {
	Key, Value  string
	ModRevision string // decimal, as the gateway sends it
}

// Put stores value at key.
func (s *Server) Put(t testing.TB, key, value string) {
	t.Helper()
	s.post(t, "/v3/kv/put", map[string]any{"key": []byte(key), "value": []byte(value)}, nil)
}

// Get returns the value at key, and whether the key exists.
func (s *Server) Get(t testing.TB, key string) (string, bool) {
	t.Helper()
	kvs := s.rangeKVs(t, map[string]any{"key": []byte(key)})
	if len(kvs) == 0 {
		return "", false
	}
	return kvs[0].Value, true
}

// List returns every key under prefix with its value, in key order.
func (s *Server) List(t testing.TB, prefix string) []KV {
	t.Helper()
	return s.rangeKVs(t, map[string]any{"key": []byte(prefix), "range_end": prefixEnd(prefix)})
}

// Delete deletes one key.
func (s *Server) Delete(t testing.TB, key string) {
	t.Helper()
	s.post(t, "/v3/kv/deleterange", map[string]any{"key": []byte(key)}, nil)
}

// Wipe deletes everything under /calico (never anything else: one etcd may
// also serve a kube-apiserver under /registry).
func (s *Server) Wipe(t testing.TB) {
	t.Helper()
	s.post(t, "/v3/kv/deleterange", map[string]any{"key": []byte("/calico"), "range_end": prefixEnd("/calico")}, nil)
}

func (s *Server) rangeKVs(t testing.TB, req map[string]any) []KV {
	t.Helper()
	var resp struct {
		KVs []struct {
			Key         []byte `json:"key"`
			Value       []byte `json:"value"`
			ModRevision string `json:"mod_revision"`
		} `json:"kvs"`
	}
	s.post(t, "/v3/kv/range", req, &resp)
	out := make([]KV, len(resp.KVs))
	for i, kv := range resp.KVs {
		out[i] = KV{Key: string(kv.Key), Value: string(kv.Value), ModRevision: kv.ModRevision}
	}
	return out
}

func (s *Server) post(t testing.TB, path string, req, resp any) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hresp, err := s.client.Post(s.endpoint+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("etcd %s: %v", path, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(hresp.Body)
	if err != nil {
		t.Fatalf("etcd %s: %v", path, err)
	}
	if hresp.StatusCode != http.StatusOK {
		t.Fatalf("etcd %s: HTTP %d: %s", path, hresp.StatusCode, data)
	}
	if resp != nil {
		if err := json.Unmarshal(data, resp); err != nil {
			t.Fatalf("etcd %s: %v in %s", path, err, data)
		}
	}
}

func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	panic(fmt.Sprintf("no range end for %q", prefix))
}
