package k8s

import (
	"context"
	"errors"
	"net/http"
)

// ServerGroups lists the names of the API groups the server serves (GET
// /apis, as client-go's discovery ServerGroups does for the named groups).
// A custom resource group appears once one of its CRDs has a served version,
// which is how Calico tells which of its API groups is installed.
func (c *Client) ServerGroups(ctx context.Context) ([]string, error) {
	var l struct {
		Groups []struct {
			Name string `json:"name"`
		} `json:"groups"`
	}
	// Plain JSON asks for the APIGroupList, not the much larger aggregated
	// discovery document.
	if err := c.do(ctx, request{verb: "get", method: http.MethodGet, path: "/apis"}, &l); err != nil {
		return nil, err
	}
	names := make([]string, len(l.Groups))
	for i, g := range l.Groups {
		names[i] = g.Name
	}
	return names, nil
}

// IsNotServed tells whether err is the server saying it has no such
// resource type at all: a CRD that is not installed, or an API group that
// is not (or no longer) served.
func IsNotServed(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.NotServed
}
