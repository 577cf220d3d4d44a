// Package hcnservice serves the HCN API (computenetwork.dll) and the version
// query of vmcompute.dll's HNSCall to a thin C shim over loopback TCP, backed
// by the HNS simulator, so that the Windows binaries run under Wine through
// hcsshim's real hcn code with state kept between processes.
//
// The shim (shim/computenetwork.c, shim/vmcompute.c) turns each DLL call into
// one request and returns what HNS would: the HRESULT, a handle, the output
// string (GUID list or properties JSON in HCN's v2 schema) and HNS's result
// record. All protocol and HNS semantics live here, in Go; the C only
// converts strings and moves bytes (the wire format is in protocol.go).
//
// The package owns the handle table (HcnOpen*/HcnCreate* hand out handles,
// HcnClose* releases them) and the mapping of hns errors to HRESULTs. It
// must not import the plugin, ipam or datastore packages; it reaches HNS only
// through Backend, which hns/sim implements.
package hcnservice
