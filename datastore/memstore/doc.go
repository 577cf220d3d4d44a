// Package memstore is an in-memory datastore.Store for algorithm tests: the
// IPAM rules are exercised on plain values in milliseconds, while the real
// backends (etcd, kdd) keep their own tests against real servers. It passes
// the same contract suite (datastore/storetest) as they do, so what holds
// here holds there: revisions with compare-and-swap, all-or-nothing Commit
// (as etcd's single transaction), absent objects absent.
//
// It must not import ipam, plugin or any other backend. Production code never
// uses it.
package memstore
