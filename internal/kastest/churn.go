package kastest

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ChurnPod is another writer of pod namespace/name: it updates one of the
// pod's labels every interval, as controllers and the kubelet do, until stop
// is called or the test ends. stop waits for it and returns how many updates
// landed. An update that fails while the churn runs fails the test.
func (s *Server) ChurnPod(t testing.TB, namespace, name string, interval time.Duration) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	path := "/api/v1/namespaces/" + namespace + "/pods/" + name
	var wg sync.WaitGroup
	var churned atomic.Int64
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			patch := []byte(`{"metadata":{"labels":{"churn":"` + strconv.Itoa(i) + `"}}}`)
			code, body, err := s.AdminPatch(path, patch)
			if ctx.Err() == nil && (err != nil || code != http.StatusOK) {
				t.Errorf("churn: %d %s %v", code, body, err)
				return
			}
			churned.Add(1)
		}
	})
	stop = func() int { cancel(); wg.Wait(); return int(churned.Load()) }
	t.Cleanup(func() { stop() })
	return stop
}
