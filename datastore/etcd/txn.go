package etcd

import (
	"context"
	"fmt"
)

// txn sends one transaction: one round trip.
func (s *Store) txn(ctx context.Context, req txnRequest) (*txnResponse, error) {
	var resp txnResponse
	if err := s.call(ctx, "/v3/kv/txn", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ranges runs read-only range operations in one transaction with no
// compares, and returns their answers in order. Past the server's
// --max-txn-ops it uses further transactions pinned to the revision of the
// first, so that the answers still form one snapshot.
func (s *Store) ranges(ctx context.Context, ops []rangeRequest) ([]*rangeResponse, error) {
	out := make([]*rangeResponse, 0, len(ops))
	var rev i64
	for start := 0; start < len(ops); start += s.maxTxnOps {
		chunk := ops[start:min(start+s.maxTxnOps, len(ops))]
		req := txnRequest{Success: make([]requestOp, len(chunk))}
		for i := range chunk {
			r := chunk[i]
			r.Revision = rev
			req.Success[i] = requestOp{Range: &r}
		}
		resp, err := s.txn(ctx, req)
		if err != nil {
			return nil, err
		}
		if len(resp.Responses) != len(chunk) {
			return nil, fmt.Errorf("etcd: transaction of %d ranges answered %d", len(chunk), len(resp.Responses))
		}
		for _, r := range resp.Responses {
			if r.Range == nil {
				return nil, fmt.Errorf("etcd: range answered by a non-range response")
			}
			out = append(out, r.Range)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
	}
	return out, nil
}

func get(key string) rangeRequest { return rangeRequest{Key: []byte(key)} }

func list(prefix string) rangeRequest {
	return rangeRequest{Key: []byte(prefix), RangeEnd: prefixEnd(prefix)}
}
