package dataplane

import (
	"context"

	"github.com/calico-win/cni/hns"
)

// NamespaceMissing reports whether err, from AttachPod, is HNS's "not found"
// because there is no namespace nsID: the caller passed a namespace that does
// not exist (or no longer does), which retrying cannot fix. HNS answers "not
// found" for more than that, so it counts only once a lookup of the namespace
// agrees; a lookup that fails otherwise is no evidence.
func (d *Dataplane) NamespaceMissing(ctx context.Context, nsID string, err error) bool {
	if !hns.IsNotFound(err) {
		return false
	}
	_, gerr := d.hns.GetNamespaceByID(ctx, nsID)
	return hns.IsNotFound(gerr)
}
