// Package winee2e holds end-to-end tests of the Windows binaries under Wine
// that need Go-side servers: calico.exe on the default backend (hcsshim's
// hcn over the HCN service shim) against a real kube-apiserver with Calico's
// CRDs (internal/kastest) and an in-process HCN service (hns/hcnservice) on
// the simulator. The tests build only with -tags winee2e and are run by
// scripts/wine-e2e-kdd.sh, which prepares the Wine prefix; they fail, never
// skip, when Wine or the binaries are missing. The etcd lifecycle is
// scripts/demo-windows.sh.
//
// It imports only test servers, the simulator and the service; it must not
// import the plugin, ipam or datastore packages beyond datastore's types.
package winee2e
