package k8s

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// TestGetNamespaceFromWatchCache: a namespace is read with
// resourceVersion=0 (served from the API server's watch cache); one the
// cache does not have (404) is read once more from etcd, without it.
func TestGetNamespaceFromWatchCache(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Path == "/api/v1/namespaces/new" && r.URL.Query().Get("resourceVersion") == "0" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		w.Write([]byte(`{"metadata":{"name":"x","labels":{"team":"a"}}}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	c, ctx := serverClient(t, srv)
	for _, name := range []string{"old", "new"} {
		ns, err := c.GetNamespace(ctx, name)
		if err != nil || ns.Metadata.Labels["team"] != "a" {
			t.Fatalf("namespace %s: %+v, %v", name, ns, err)
		}
	}
	want := []string{"/api/v1/namespaces/old?resourceVersion=0", "/api/v1/namespaces/new?resourceVersion=0", "/api/v1/namespaces/new?"}
	if !slices.Equal(queries, want) {
		t.Errorf("requests %q, want %q", queries, want)
	}
}
