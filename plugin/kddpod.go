package plugin

import (
	"fmt"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/internal/k8s"
)

// On the Kubernetes datastore the first read of an ADD reads the pod anyway
// (the WorkloadEndpoint is its annotations): the pod's labels, service
// account, ports and pool annotations are taken from that read, and only
// the namespace is read beside it, so an ADD reads the pod once.

// kddStoreOf is the Kubernetes datastore under s, or nil.
func kddStoreOf(s datastore.Store) *kdd.Store {
	if cs, ok := s.(*cachedStore); ok {
		s = cs.Store
	}
	ks, _ := s.(*kdd.Store)
	return ks
}

// readPodWithStore reads the pod's namespace now and returns what yields the
// kubePod once the store's first Read (which has k among its endpoints) is
// done. If that Read did not read the pod, the pod is read then.
func (c *call) readPodWithStore(ks *kdd.Store, k datastore.WEPKey) func() (*kubePod, error) {
	namespace, name := string(c.cargs.K8S_POD_NAMESPACE), string(c.cargs.K8S_POD_NAME)
	var ns *k8s.Namespace
	var nsErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		kc, err := kubeClient(c.nc)
		if err != nil {
			nsErr = err
			return
		}
		ns, nsErr = kc.GetNamespace(c.ctx, namespace)
	}()
	return func() (*kubePod, error) {
		<-done
		pod, seen := ks.PodRead(k)
		if seen && pod != nil && (pod.Metadata.Name != name || (pod.Metadata.Namespace != "" && pod.Metadata.Namespace != namespace)) {
			seen = false // not the pod of CNI_ARGS: read it
		}
		if !seen {
			return readKubePod(c.ctx, c.nc, namespace, name)
		}
		var podErr error
		if pod == nil {
			podErr = fmt.Errorf("%w: pod %s/%s", datastore.ErrNotFound, namespace, name)
		}
		return newKubePod(namespace, name, pod, podErr, ns, nsErr)
	}
}

// sharesPodRead reports whether the store's first read of an ADD reads the
// pod of CNI_ARGS, with the client readKubePod would use.
func (c *call) sharesPodRead() (*kdd.Store, bool) {
	ks := kddStoreOf(c.store)
	if ks == nil {
		return nil, false
	}
	kc, err := kubeClient(c.nc)
	if err != nil || kc.Server() != ks.Server() {
		return nil, false
	}
	return ks, true
}
