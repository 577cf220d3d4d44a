package etcd

import (
	"context"
	"net/netip"
)

// BlocksExist reports which of cidrs have a block object, without
// transferring any block: a count-only range per CIDR, all in one
// transaction. Past the server's operations limit (a whole pool's worth of
// CIDRs) it lists the keys, and only the keys, of all blocks instead, which
// is still one round trip.
func (s *Store) BlocksExist(ctx context.Context, cidrs []netip.Prefix) ([]bool, error) {
	if len(cidrs) > s.maxTxnOps {
		return s.blocksExistByListing(ctx, cidrs)
	}
	ops := make([]rangeRequest, len(cidrs))
	for i, c := range cidrs {
		ops[i] = rangeRequest{Key: []byte(blockKey(c)), CountOnly: true}
	}
	resps, err := s.ranges(ctx, ops)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(cidrs))
	for i, r := range resps {
		out[i] = r.Count > 0
	}
	return out, nil
}

func (s *Store) blocksExistByListing(ctx context.Context, cidrs []netip.Prefix) ([]bool, error) {
	var ops []rangeRequest
	listed := map[string]bool{}
	for _, c := range cidrs {
		if v := ipVersion(c); !listed[v] {
			listed[v] = true
			r := list(blockPrefix(v))
			r.KeysOnly = true
			ops = append(ops, r)
		}
	}
	resps, err := s.ranges(ctx, ops)
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, r := range resps {
		for _, kv := range r.KVs {
			exists[string(kv.Key)] = true
		}
	}
	out := make([]bool, len(cidrs))
	for i, c := range cidrs {
		out[i] = exists[blockKey(c)]
	}
	return out, nil
}

// ListHandleIDs lists the IDs of the handles that start with prefix, keys
// only.
func (s *Store) ListHandleIDs(ctx context.Context, prefix string) ([]string, error) {
	r := list(handleKey(prefix))
	r.KeysOnly = true
	resps, err := s.ranges(ctx, []rangeRequest{r})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(resps[0].KVs))
	for _, kv := range resps[0].KVs {
		ids = append(ids, string(kv.Key[len(handlePrefix):]))
	}
	return ids, nil
}
