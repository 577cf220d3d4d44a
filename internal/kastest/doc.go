// Package kastest runs a real kube-apiserver (on a real etcd) for tests, with
// Calico's CRDs applied (the crd.projectcalico.org/v1 set by default; with
// StartWith or SharedWith the projectcalico.org/v3 set, or both), and hands
// out kubeconfigs: the admin's, and a ServiceAccount token bound to a copy
// of Calico's calico-cni-plugin ClusterRole, which is what the plugin's
// tests run with. It seeds the
// objects the plugin only reads (pods, namespaces, nodes, IP pools, IPAM
// config, ClusterInformation) as an administrator would, over plain
// net/http, so it shares no code with the client it is used to check.
//
// The kube-apiserver binary comes from scripts/kube-apiserver.sh (built once
// from the Go module proxy into ~/.cache/kas; $KUBE_APISERVER_BIN overrides
// it); its etcd is started by internal/etcdtest (etcd from PATH, $ETCD_BIN
// overrides it). Tests that need them fail,
// never skip silently, when they are missing; CALICO_WIN_SKIP_INTEGRATION=1
// skips them on purpose.
//
// It must not import internal/k8s, datastore/kdd, ipam or plugin.
package kastest
