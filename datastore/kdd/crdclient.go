package kdd

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/calico-win/cni/internal/k8s"
)

// crdClient is the Store's API client: the k8s.Client, with its custom
// resource requests taken to the Store's API group. The rest of the backend
// names resources and builds objects in crd.projectcalico.org/v1; the
// mapping to the group happens here, and only here.
//
// The group is fixed (calico_api_group set) or discovered as Calico does. A
// discovered group may come from an earlier process (the plugin keeps it on
// the node), so it costs no request; when a request finds its resource not
// served, the group is discovered again, and a read is retried once in the
// new group.
type crdClient struct {
	*k8s.Client
	mu       sync.Mutex
	g        *APIGroup // nil until discovered
	discover bool      // g may change: it was discovered, not configured
	asked    bool      // this process discovered g: a resource not served is not news
}

// group is the group requests go to, discovered on first use if need be.
func (c *crdClient) group(ctx context.Context) (*APIGroup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.g != nil {
		return c.g, nil
	}
	return c.discoverLocked(ctx)
}

func (c *crdClient) discoverLocked(ctx context.Context) (*APIGroup, error) {
	served, err := c.ServerGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("discovering Calico's API group (calico_api_group is not set): %w", err)
	}
	c.g, c.asked = discoveredGroup(served), true
	return c.g, nil
}

// current is the group, nil while not discovered yet.
func (c *crdClient) current() *APIGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.g
}

// rediscover is called when a request in group failed as not served: it
// discovers the group again (once, whoever else failed meanwhile) and
// reports whether the group changed. A configured group never changes.
func (c *crdClient) rediscover(ctx context.Context, failed *APIGroup, err error) bool {
	if !c.discover || !k8s.IsNotServed(err) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.g != failed {
		return c.g != nil
	}
	if c.asked {
		return false
	}
	prev := c.g
	if _, derr := c.discoverLocked(ctx); derr != nil {
		c.g = prev
		return false
	}
	return c.g != prev
}

// inGroup runs a request in the current group, and repeats it in a newly
// discovered one when the group was not served. That is safe for writes
// too: a request refused as not served did nothing. (A Change's first write
// can be a call's first request in the group: its reads may all have come
// from the node's copies.)
func (c *crdClient) inGroup(ctx context.Context, f func(g *APIGroup) error) error {
	g, err := c.group(ctx)
	if err != nil {
		return err
	}
	err = f(g)
	if err != nil && c.rediscover(ctx, g, err) {
		err = f(c.current())
	}
	return c.explain(g, err)
}

// explain names calico_api_group in a not-served error of a configured
// group: the likeliest cause is that it names the wrong one.
func (c *crdClient) explain(g *APIGroup, err error) error {
	if err == nil || c.discover || !k8s.IsNotServed(err) {
		return err
	}
	return fmt.Errorf("%w %s: %w", ErrAPIGroupNotServed, g, err)
}

// ErrAPIGroupNotServed is a configured calico_api_group whose resources the
// cluster does not serve.
var ErrAPIGroupNotServed = errors.New("the Kubernetes API does not serve Calico's resources in the configured calico_api_group")

func (c *crdClient) Get(ctx context.Context, r k8s.Resource, name string, out any) error {
	return c.inGroup(ctx, func(g *APIGroup) error { return c.Client.Get(ctx, g.resource(r), name, out) })
}

func (c *crdClient) List(ctx context.Context, r k8s.Resource, selector string, out any) error {
	return c.inGroup(ctx, func(g *APIGroup) error { return c.Client.List(ctx, g.resource(r), selector, out) })
}

func (c *crdClient) ListMeta(ctx context.Context, r k8s.Resource) (metas []k8s.ObjectMeta, err error) {
	err = c.inGroup(ctx, func(g *APIGroup) error {
		metas, err = c.Client.ListMeta(ctx, g.resource(r))
		return err
	})
	return metas, err
}

func (c *crdClient) Create(ctx context.Context, r k8s.Resource, obj, out any) error {
	return c.inGroup(ctx, func(g *APIGroup) error { return c.Client.Create(ctx, g.resource(r), g.body(obj), out) })
}

func (c *crdClient) Update(ctx context.Context, r k8s.Resource, name string, obj, out any) error {
	return c.inGroup(ctx, func(g *APIGroup) error { return c.Client.Update(ctx, g.resource(r), name, g.body(obj), out) })
}

func (c *crdClient) Delete(ctx context.Context, r k8s.Resource, name string, pre k8s.Preconditions) error {
	return c.inGroup(ctx, func(g *APIGroup) error { return c.Client.Delete(ctx, g.resource(r), name, pre) })
}
