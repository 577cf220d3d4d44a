//go:build windows

package hcn

import (
	"context"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// Version asks HNS for its version (v1 GET /globals/version, the query
// behind hcn's feature checks).
func (client) Version(ctx context.Context) (hns.Version, error) {
	var g *hcn.Globals
	err := call(ctx, "Version", func() (err error) {
		g, err = hcn.GetGlobals()
		return err
	})
	if err != nil {
		return hns.Version{}, err
	}
	return hns.Version{Major: g.Version.Major, Minor: g.Version.Minor}, nil
}
