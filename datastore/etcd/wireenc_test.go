package etcd

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestEncodeTxnIsJSONMarshal: the hand-written encoding is byte for byte
// json.Marshal's, over transactions with every kind of operation and
// compare, optional fields set and not, and keys of any bytes (nil, empty,
// binary).
func TestEncodeTxnIsJSONMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	bytesOf := func() []byte {
		switch r.IntN(5) {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = "/calico-ipam.v2:01"[r.IntN(18)]
			}
		}
		return b
	}
	i64p := func() *i64 {
		if r.IntN(2) == 0 {
			return nil
		}
		v := i64(r.Int64N(1<<40) - 1<<20)
		if r.IntN(4) == 0 {
			v = 0 // a compare against 0 stays on the wire
		}
		return &v
	}
	op := func() requestOp {
		var o requestOp
		k := r.IntN(8)
		if k&1 != 0 {
			o.Range = &rangeRequest{Key: bytesOf(), RangeEnd: bytesOf(), KeysOnly: r.IntN(2) == 0, CountOnly: r.IntN(3) == 0}
			if r.IntN(2) == 0 {
				o.Range.Limit = i64(r.IntN(100))
			}
			if r.IntN(2) == 0 {
				o.Range.Revision = i64(r.Int64N(1 << 50))
			}
		}
		if k&2 != 0 {
			o.Put = &putRequest{Key: bytesOf(), Value: bytesOf()}
		}
		if k&4 != 0 {
			o.DeleteRange = &deleteRangeRequest{Key: bytesOf(), RangeEnd: bytesOf()}
		}
		return o
	}
	ops := func() []requestOp {
		if r.IntN(4) == 0 {
			return nil
		}
		out := make([]requestOp, r.IntN(4))
		for i := range out {
			out[i] = op()
		}
		return out
	}
	cases := []txnRequest{{}, {Success: []requestOp{}}, {Compare: []compare{{Result: "EQUAL", Target: "MOD", Key: []byte("k"), ModRevision: new(i64)}}}}
	for range 3000 {
		tx := txnRequest{Success: ops(), Failure: ops()}
		for range r.IntN(3) {
			c := compare{Result: []string{"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}[r.IntN(4)], Target: []string{"VERSION", "CREATE", "MOD", "VALUE"}[r.IntN(4)], Key: bytesOf()}
			c.Version, c.ModRevision = i64p(), i64p()
			tx.Compare = append(tx.Compare, c)
		}
		cases = append(cases, tx)
	}
	// Names no compare of this package has: still json.Marshal's bytes.
	cases = append(cases, txnRequest{Compare: []compare{{Result: "<&>", Target: "é\"", Key: []byte("k")}}})
	for _, tx := range cases {
		want, err := json.Marshal(tx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeTxn(tx)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("encodeTxn(%+v) =\n%s, %v\njson.Marshal:\n%s", tx, got, err, want)
		}
	}
}
