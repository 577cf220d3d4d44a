package kdd

import (
	"context"
	"net/netip"
	"strings"
)

// BlocksExist lists the names, and only the names, of all blocks (one
// request, whatever the number of CIDRs). A block marked deleted but not yet
// removed counts as existing: a claim skips it, which is safe, and the next
// reader of it finishes the delete.
func (s *Store) BlocksExist(ctx context.Context, cidrs []netip.Prefix) ([]bool, error) {
	if len(cidrs) == 0 {
		return []bool{}, nil
	}
	metas, err := s.c.ListMeta(ctx, ipamBlocks)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(metas))
	for _, m := range metas {
		names[m.Name] = true
	}
	out := make([]bool, len(cidrs))
	for i, c := range cidrs {
		out[i] = names[blockName(c)]
	}
	return out, nil
}

// ListHandleIDs lists every handle and keeps those whose handleID (which
// keeps its case, unlike the object name) starts with prefix.
func (s *Store) ListHandleIDs(ctx context.Context, prefix string) ([]string, error) {
	var l struct {
		Items []struct {
			Spec handleSpec `json:"spec"`
		} `json:"items"`
	}
	if err := s.c.List(ctx, ipamHandles, "", &l); err != nil {
		return nil, err
	}
	ids := []string{}
	for _, h := range l.Items {
		if !h.Spec.Deleted && strings.HasPrefix(h.Spec.HandleID, prefix) {
			ids = append(ids, h.Spec.HandleID)
		}
	}
	return ids, nil
}
