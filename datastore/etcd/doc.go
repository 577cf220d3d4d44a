// Package etcd is the etcd v3 backend of datastore.Store. It owns Calico's
// etcd key layout (/calico/ipam/v2/..., /calico/resources/v3/...) and the
// mapping of each Read, Commit and WorkloadEndpoint write onto one etcd
// transaction.
//
// It talks to etcd's JSON gRPC gateway (POST /v3/kv/range, /v3/kv/txn) with
// a small synchronous HTTP/1.1 client (conn.go) rather than through
// go.etcd.io/etcd/client/v3: every CNI call is a new process, and clientv3's
// gRPC and protobuf initialisation alone costs several milliseconds of
// process start; net/http's Transport, with its goroutines per connection,
// costs about 0.3 ms of CPU per call. The gateway exists in etcd 3.4, 3.5
// and 3.6 with the same snake_case JSON.
//
// It also owns failover between the members listed (failover.go): a member
// that does not answer costs an attempt timeout, not the call's deadline,
// and a write whose answer was lost is resolved by reading before it is
// sent again (resolve.go), so it is applied at most once and never reported
// as failed when it landed.
//
// It must not import ipam, plugin, go.etcd.io/etcd/client/v3 or gRPC.
package etcd
