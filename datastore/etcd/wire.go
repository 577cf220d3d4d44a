package etcd

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The JSON forms of etcdserverpb messages as the gRPC gateway speaks them:
// proto field names, bytes as base64 (encoding/json does that for []byte),
// int64 as decimal strings, and fields at their zero value left out.

// i64 is a protobuf int64: a JSON string on the wire, but a number is
// accepted too.
type i64 int64

func (n i64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

func (n *i64) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	*n = i64(v)
	return err
}

type rangeRequest struct {
	Key       []byte `json:"key"`
	RangeEnd  []byte `json:"range_end,omitempty"`
	Limit     i64    `json:"limit,omitempty"`
	Revision  i64    `json:"revision,omitempty"`
	KeysOnly  bool   `json:"keys_only,omitempty"`
	CountOnly bool   `json:"count_only,omitempty"`
}

type putRequest struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

type deleteRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

// compare is etcdserverpb.Compare. Enums go by name, which every gateway
// version accepts. Exactly one of the target fields is set; a pointer keeps
// a compare against 0 on the wire.
type compare struct {
	Result      string `json:"result"`
	Target      string `json:"target"`
	Key         []byte `json:"key"`
	Version     *i64   `json:"version,omitempty"`
	ModRevision *i64   `json:"mod_revision,omitempty"`
}

// requestOp is one operation of a transaction branch.
type requestOp struct {
	Range       *rangeRequest       `json:"request_range,omitempty"`
	Put         *putRequest         `json:"request_put,omitempty"`
	DeleteRange *deleteRangeRequest `json:"request_delete_range,omitempty"`
}

type txnRequest struct {
	Compare []compare   `json:"compare,omitempty"`
	Success []requestOp `json:"success,omitempty"`
	Failure []requestOp `json:"failure,omitempty"`
}

type responseHeader struct {
	Revision i64 `json:"revision"`
}

type keyValue struct {
	Key            []byte `json:"key"`
	CreateRevision i64    `json:"create_revision"`
	ModRevision    i64    `json:"mod_revision"`
	Version        i64    `json:"version"`
	Value          []byte `json:"value"`
}

type rangeResponse struct {
	Header responseHeader `json:"header"`
	KVs    []keyValue     `json:"kvs"`
	More   bool           `json:"more"`
	Count  i64            `json:"count"`
}

type deleteRangeResponse struct {
	Deleted i64 `json:"deleted"`
}

type responseOp struct {
	Range       *rangeResponse       `json:"response_range"`
	DeleteRange *deleteRangeResponse `json:"response_delete_range"`
	Put         *json.RawMessage     `json:"response_put"`
}

type txnResponse struct {
	Header    responseHeader `json:"header"`
	Succeeded bool           `json:"succeeded"`
	Responses []responseOp   `json:"responses"`
}

// gatewayError is the body of a non-200 answer. grpc-gateway v1 (etcd 3.4,
// 3.5) sends error, code and message; v2 (etcd 3.6) only code and message.
type gatewayError struct {
	Error   string `json:"error"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// prefixEnd is the range_end that makes a range cover every key starting
// with prefix (clientv3.GetPrefixRangeEnd).
func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // every key
}

func revString(r i64) string { return strconv.FormatInt(int64(r), 10) }

func parseRev(s string) (i64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	return i64(v), err
}
