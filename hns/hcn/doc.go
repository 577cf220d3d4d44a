// Package hcn is the Windows implementation of hns.Client: a thin adapter
// over github.com/Microsoft/hcsshim/hcn (the HNS v2 API in computenetwork.dll).
//
// It owns three things and nothing else: the conversion between the hns
// mirror types and hcn's (convert_windows.go), the conversion of hcn's errors
// into hns.NotFoundError and hns.Error so that hns.IsNotFound and friends
// classify them exactly as they classify the simulator's (errors_windows.go),
// and one hcn call per hns.Client method (network_windows.go,
// endpoint_windows.go, namespace_windows.go, version_windows.go), except
// HostNamespace, which lists the namespaces and creates the HostDefault one
// when HNS lists none.
//
// Every file except this one builds only on Windows, as hcn itself does. The
// package must not import the plugin, ipam or datastore packages: plugin code
// receives an hns.Client and never knows whether this adapter or hns/sim is
// behind it.
//
// Tests: the conversion tests run under Wine on Linux (scripts/wine-test.sh);
// the tests tagged fakehcn drive the real hcn code against the fake
// computenetwork.dll that script installs; the tests tagged hcnservice
// (WINE_HCN=service scripts/wine-test.sh ./hns/hcn) run the hnstest suite
// through hcn and the HCN service shim DLL against the simulator
// (hns/hcnservice); contract_windows_test.go
// (tags windows,hnsintegration) runs the shared hnstest suite against a real
// HNS and needs an administrator on a Windows host with the Containers
// feature.
package hcn
