package etcd

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// A transaction request is written by hand rather than by json.Marshal:
// in a fresh process, encoding/json's first Marshal of these types (its
// reflection over every field, kept per type) costs about 80 µs, once per
// CNI call; appending the few fields costs about 1 µs. The bytes are those
// json.Marshal writes (wireenc_test.go compares the two).

// encodeTxn returns the JSON of t.
func encodeTxn(t txnRequest) ([]byte, error) {
	if !t.plain() {
		return json.Marshal(t) // a name that would need escaping: never made by this package
	}
	b := make([]byte, 0, 256)
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	if len(t.Compare) > 0 {
		field("compare")
		b = appendList(b, t.Compare)
	}
	for _, branch := range []struct {
		name string
		ops  []requestOp
	}{{"success", t.Success}, {"failure", t.Failure}} {
		if len(branch.ops) == 0 {
			continue
		}
		field(branch.name)
		b = appendList(b, branch.ops)
	}
	return append(b, '}'), nil
}

// appendList appends items as a JSON array.
func appendList[T interface{ appendJSON([]byte) []byte }](b []byte, items []T) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = it.appendJSON(b)
	}
	return append(b, ']')
}

// plain tells whether every string of t (the compare's enum names) is
// made of letters, digits and '_', which JSON writes as they are.
func (t txnRequest) plain() bool {
	for _, c := range t.Compare {
		if !plainString(c.Result) || !plainString(c.Target) {
			return false
		}
	}
	return true
}

func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (c compare) appendJSON(b []byte) []byte {
	b = append(b, `{"result":"`...)
	b = append(b, c.Result...)
	b = append(b, `","target":"`...)
	b = append(b, c.Target...)
	b = append(b, `","key":`...)
	b = appendBytes(b, c.Key)
	if c.Version != nil {
		b = appendI64(append(b, `,"version":`...), *c.Version)
	}
	if c.ModRevision != nil {
		b = appendI64(append(b, `,"mod_revision":`...), *c.ModRevision)
	}
	return append(b, '}')
}

func (op requestOp) appendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := ""
	if r := op.Range; r != nil {
		b = append(b, `"request_range":{"key":`...)
		b = appendBytes(b, r.Key)
		if len(r.RangeEnd) > 0 {
			b = appendBytes(append(b, `,"range_end":`...), r.RangeEnd)
		}
		if r.Limit != 0 {
			b = appendI64(append(b, `,"limit":`...), r.Limit)
		}
		if r.Revision != 0 {
			b = appendI64(append(b, `,"revision":`...), r.Revision)
		}
		if r.KeysOnly {
			b = append(b, `,"keys_only":true`...)
		}
		if r.CountOnly {
			b = append(b, `,"count_only":true`...)
		}
		b = append(b, '}')
		sep = ","
	}
	if p := op.Put; p != nil {
		b = append(b, sep+`"request_put":{"key":`...)
		b = appendBytes(b, p.Key)
		b = appendBytes(append(b, `,"value":`...), p.Value)
		b = append(b, '}')
		sep = ","
	}
	if d := op.DeleteRange; d != nil {
		b = append(b, sep+`"request_delete_range":{"key":`...)
		b = appendBytes(b, d.Key)
		if len(d.RangeEnd) > 0 {
			b = appendBytes(append(b, `,"range_end":`...), d.RangeEnd)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendBytes writes a []byte as encoding/json does: base64 in a string,
// null for a nil slice.
func appendBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendI64 writes a protobuf int64 as the gateway wants it: a decimal in
// a string (i64.MarshalJSON).
func appendI64(b []byte, n i64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '"')
}
