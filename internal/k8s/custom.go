package k8s

import (
	"context"
	"net/http"
	"net/url"
)

// Resource names a kind of cluster-scoped custom resource.
type Resource struct {
	Group, Version, Plural string
}

func (r Resource) path(name string) string {
	p := "/apis/" + r.Group + "/" + r.Version + "/" + r.Plural
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

// Preconditions make a DELETE conditional, since Kubernetes has no
// compare-and-delete: it fails with a 409 Conflict unless the object still
// has this UID and resourceVersion.
type Preconditions struct {
	UID             string `json:"uid,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// Get reads one object into out.
func (c *Client) Get(ctx context.Context, r Resource, name string, out any) error {
	return c.do(ctx, request{verb: "get", method: http.MethodGet, path: r.path(name)}, out)
}

// List reads the objects matching a label selector ("" for all) into out, a
// pointer to a struct with an Items slice.
func (c *Client) List(ctx context.Context, r Resource, labelSelector string, out any) error {
	q := url.Values{}
	if labelSelector != "" {
		q.Set("labelSelector", labelSelector)
	}
	return c.do(ctx, request{verb: "list", method: http.MethodGet, path: r.path(""), query: q}, out)
}

// ListMeta lists only the metadata of every object of r: the server sends
// no spec, which keeps listing a whole cluster's blocks cheap.
func (c *Client) ListMeta(ctx context.Context, r Resource) ([]ObjectMeta, error) {
	var l struct {
		Items []struct {
			Metadata ObjectMeta `json:"metadata"`
		} `json:"items"`
	}
	err := c.do(ctx, request{verb: "list", method: http.MethodGet, path: r.path(""),
		accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"}, &l)
	if err != nil {
		return nil, err
	}
	metas := make([]ObjectMeta, len(l.Items))
	for i, it := range l.Items {
		metas[i] = it.Metadata
	}
	return metas, nil
}

// Create creates obj and decodes the stored object into out.
func (c *Client) Create(ctx context.Context, r Resource, obj, out any) error {
	return c.do(ctx, request{verb: "create", method: http.MethodPost, path: r.path(""), body: obj}, out)
}

// Update replaces object name with obj, whose metadata.resourceVersion makes
// it a compare-and-swap, and decodes the stored object into out.
func (c *Client) Update(ctx context.Context, r Resource, name string, obj, out any) error {
	return c.do(ctx, request{verb: "update", method: http.MethodPut, path: r.path(name), body: obj}, out)
}

// Delete deletes object name if it still meets the preconditions.
func (c *Client) Delete(ctx context.Context, r Resource, name string, pre Preconditions) error {
	body := map[string]any{"apiVersion": "v1", "kind": "DeleteOptions"}
	if pre != (Preconditions{}) {
		body["preconditions"] = pre
	}
	return c.do(ctx, request{verb: "delete", method: http.MethodDelete, path: r.path(name), body: body}, nil)
}
