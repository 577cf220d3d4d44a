package kdd

import (
	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// A Read of an endpoint is a GET of its pod, which is also what a CNI ADD
// reads for the pod's labels, service account, ports and pool annotations:
// the Store keeps the pod as its last endpoint read found it, so that the
// caller does not read it a second time.

// podSeen is the pod of an endpoint as last read (nil: it did not exist).
type podSeen struct{ pod *k8s.Pod }

// PodRead returns the pod of endpoint k as this Store's last read of the
// endpoint found it (nil when there was no such pod), and false when this
// Store has not read the endpoint. The pod must not be modified.
func (s *Store) PodRead(k datastore.WEPKey) (*k8s.Pod, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pods[k]
	return p.pod, ok
}

func (s *Store) setPodRead(k datastore.WEPKey, p *k8s.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pods[k] = podSeen{p}
}
