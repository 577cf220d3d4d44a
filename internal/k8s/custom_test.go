package k8s

import (
	"errors"
	"slices"
	"testing"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/kastest"
)

var testHandles = Resource{Group: "crd.projectcalico.org", Version: "v1", Plural: "ipamhandles"}

type testHandle struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       struct {
		HandleID string         `json:"handleID"`
		Block    map[string]int `json:"block"`
	} `json:"spec"`
}

func newTestHandle(name string, labels map[string]string) testHandle {
	h := testHandle{APIVersion: "crd.projectcalico.org/v1", Kind: "IPAMHandle", Metadata: ObjectMeta{Name: name, Labels: labels}}
	h.Spec.HandleID, h.Spec.Block = name, map[string]int{"10.244.0.0/26": 1}
	return h
}

// TestCustomResourcesIntegration: create, get, list by selector and
// metadata only, update and delete with their conditions, as the CNI role.
func TestCustomResourcesIntegration(t *testing.T) {
	srv := kastest.Shared(t)
	c := cniClient(t, srv)
	ctx := testCtx(t)
	var a, b testHandle
	if err := c.Create(ctx, testHandles, newTestHandle("h-a", map[string]string{"k": "a"}), &a); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, testHandles, newTestHandle("h-b", map[string]string{"k": "b"}), &b); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, testHandles, newTestHandle("h-a", nil), nil); !errors.Is(err, datastore.ErrExists) {
		t.Errorf("second create: %v, want ErrExists", err)
	}
	var got testHandle
	if err := c.Get(ctx, testHandles, "h-a", &got); err != nil || got.Metadata.UID != a.Metadata.UID || got.Spec.Block["10.244.0.0/26"] != 1 {
		t.Errorf("Get = %+v, %v", got, err)
	}
	var l struct{ Items []testHandle }
	if err := c.List(ctx, testHandles, "k=b", &l); err != nil || len(l.Items) != 1 || l.Items[0].Metadata.Name != "h-b" {
		t.Errorf("List(k=b) = %+v, %v", l.Items, err)
	}
	metas, err := c.ListMeta(ctx, testHandles)
	var names []string
	for _, m := range metas {
		names = append(names, m.Name)
	}
	if err != nil || !slices.Equal(names, []string{"h-a", "h-b"}) {
		t.Errorf("ListMeta names = %v, %v", names, err)
	}

	stale := a
	a.Spec.Block["10.244.0.0/26"] = 2
	var updated testHandle
	if err := c.Update(ctx, testHandles, "h-a", a, &updated); err != nil || updated.Metadata.ResourceVersion == a.Metadata.ResourceVersion {
		t.Fatalf("Update: %v (rev %s -> %s)", err, a.Metadata.ResourceVersion, updated.Metadata.ResourceVersion)
	}
	if err := c.Update(ctx, testHandles, "h-a", stale, nil); !errors.Is(err, datastore.ErrConflict) {
		t.Errorf("update at a stale resourceVersion: %v, want ErrConflict", err)
	}
	for _, tc := range []struct {
		name string
		pre  Preconditions
		want error
	}{
		{"stale resourceVersion", Preconditions{UID: a.Metadata.UID, ResourceVersion: a.Metadata.ResourceVersion}, datastore.ErrConflict},
		{"other uid", Preconditions{UID: b.Metadata.UID}, datastore.ErrConflict},
		{"current", Preconditions{UID: updated.Metadata.UID, ResourceVersion: updated.Metadata.ResourceVersion}, nil},
		{"gone", Preconditions{}, datastore.ErrNotFound},
	} {
		if err := c.Delete(ctx, testHandles, "h-a", tc.pre); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("delete, %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := c.Update(ctx, testHandles, "h-a", updated, nil); !errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("update of a deleted object: %v, want ErrNotFound", err)
	}
}
