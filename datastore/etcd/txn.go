package etcd

import (
	"context"
	"fmt"
)

const txnPath = "/v3/kv/txn"

// ranges runs read-only range operations in one transaction with no
// compares, and returns their answers in order. Past the server's
// --max-txn-ops it uses further transactions pinned to the revision of the
// first, so that the answers still form one snapshot.
func (s *Store) ranges(ctx context.Context, ops []rangeRequest) ([]*rangeResponse, error) {
	out, _, err := s.rangesAt(ctx, ops, 0)
	return out, err
}

// rangesAt is ranges at revision rev (0: the latest), and also returns the
// revision the answers are at.
func (s *Store) rangesAt(ctx context.Context, ops []rangeRequest, rev i64) ([]*rangeResponse, i64, error) {
	out := make([]*rangeResponse, 0, len(ops))
	for start := 0; start < len(ops); start += s.maxTxnOps {
		chunk := ops[start:min(start+s.maxTxnOps, len(ops))]
		req := txnRequest{Success: make([]requestOp, len(chunk))}
		for i := range chunk {
			r := chunk[i]
			r.Revision = rev
			req.Success[i] = requestOp{Range: &r}
		}
		var resp txnResponse
		if err := s.read(ctx, txnPath, req, &resp); err != nil {
			return nil, 0, err
		}
		if len(resp.Responses) != len(chunk) {
			return nil, 0, fmt.Errorf("etcd: transaction of %d ranges answered %d", len(chunk), len(resp.Responses))
		}
		for _, r := range resp.Responses {
			if r.Range == nil {
				return nil, 0, fmt.Errorf("etcd: range answered by a non-range response")
			}
			out = append(out, r.Range)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
	}
	return out, rev, nil
}

func get(key string) rangeRequest { return rangeRequest{Key: []byte(key)} }

func list(prefix string) rangeRequest {
	return rangeRequest{Key: []byte(prefix), RangeEnd: prefixEnd(prefix)}
}
