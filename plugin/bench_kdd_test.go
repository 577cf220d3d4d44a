//go:build !windows

package plugin_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/kastest"
)

// BenchmarkKDDvsEtcd runs, in each iteration, a full ADD and DEL on etcd
// and one on the Kubernetes datastore, alternately, so that both see the
// same machine load: it reports each one's median, the KDD/etcd ratios, the
// API requests per KDD call and the largest process of either. It does so
// for both of Calico's API groups and both forms of credentials a kubeconfig
// may carry: a ServiceAccount token (what Calico's install writes) and a
// client certificate (kubeadm's admin.conf and several installers).
func BenchmarkKDDvsEtcd(b *testing.B) {
	for _, crds := range []kastest.CRDSet{kastest.CRDsV1, kastest.CRDsV3} {
		for _, cred := range []string{"token", "cert"} {
			b.Run(fmt.Sprintf("%s/%s", crds, cred), func(b *testing.B) {
				e := newBenchHarness(b)
				k := newKDDHarnessIn(b, crds)
				k.conf["log_level"] = "error"
				if cred == "cert" {
					k.conf["kubernetes"] = map[string]any{"kubeconfig": k.kas.CNICertKubeconfig(b)}
				}
				benchPairs(b, e, k)
			})
		}
	}
}

// BenchmarkKDDvsEtcdTLS is BenchmarkKDDvsEtcd (v1 CRDs, token) against an
// etcd that, like a production one, serves only TLS and requires a client
// certificate (the plugin resumes its TLS session across calls on both):
// the etcd side of the comparison above talks plain HTTP, which no
// production cluster does, while the API server always talks TLS.
func BenchmarkKDDvsEtcdTLS(b *testing.B) {
	e := &harness{t: b, etcd: etcdtest.StartTLS(b), block: netip.MustParsePrefix("10.244.5.0/26")}
	seed(b, e)
	e.setup(b)
	e.onEtcd(strings.Join(e.etcd.Endpoints(), ","))
	f := e.etcd.TLS()
	e.conf["etcd_ca_cert_file"], e.conf["etcd_cert_file"], e.conf["etcd_key_file"] = f.CAFile, f.CertFile, f.KeyFile
	e.conf["log_level"] = "error"
	k := newKDDHarnessIn(b, kastest.CRDsV1)
	k.conf["log_level"] = "error"
	benchPairs(b, e, k)
}

func benchPairs(b *testing.B, e, k *harness) {
	var eAdd, eDel, kAdd, kDel, all stats
	var addReqs, delReqs float64
	for i := 0; i < b.N; i++ {
		name := fmt.Sprint("pair-", i)
		ens := e.namespace()
		for _, step := range []struct {
			op string
			s  *stats
		}{{"ADD", &eAdd}, {"DEL", &eDel}} {
			m, _, err := e.procPod(step.op, name, ens)
			if err != nil {
				b.Fatal(err)
			}
			step.s.add(m)
			all.add(m)
		}
		k.kas.PutPod(b, kastest.Pod{Namespace: "default", Name: name, Node: node, ServiceAccount: "default"})
		kns := k.namespace()
		for _, step := range []struct {
			op   string
			s    *stats
			reqs *float64
		}{{"ADD", &kAdd, &addReqs}, {"DEL", &kDel, &delReqs}} {
			r0 := apiRequests(b, k)
			m, _, err := k.procPod(step.op, name, kns)
			if err != nil {
				b.Fatal(err)
			}
			if i > 0 || b.N == 1 { // steady state: the first call discovers and fills the caches
				*step.reqs += apiRequests(b, k) - r0 // (the API server does not count its /metrics GETs)
			}
			step.s.add(m)
			all.add(m)
		}
	}
	p50 := func(s *stats) float64 { return median(s.d) }
	b.ReportMetric(p50(&eAdd), "etcd-add-p50-ms")
	b.ReportMetric(p50(&eDel), "etcd-del-p50-ms")
	b.ReportMetric(p50(&kAdd), "kdd-add-p50-ms")
	b.ReportMetric(p50(&kDel), "kdd-del-p50-ms")
	b.ReportMetric(p50(&kAdd)/p50(&eAdd), "add-kdd/etcd")
	b.ReportMetric(p50(&kDel)/p50(&eDel), "del-kdd/etcd")
	b.ReportMetric(median(kAdd.cpu)/median(eAdd.cpu), "add-cpu-kdd/etcd")
	n := float64(max(b.N-1, 1))
	b.ReportMetric(addReqs/n, "api-requests/add")
	b.ReportMetric(delReqs/n, "api-requests/del")
	b.ReportMetric(float64(all.rss)/1024, "maxRSS-MB")
}
