package kdd

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// On the Kubernetes datastore the WorkloadEndpoint is the pod: what the CNI
// plugin records are three annotations, written with a strategic-merge
// PATCH of pods/status (the only pod write Calico's CNI role may make).
// Calico's readers (Felix, kube-controllers) take the pod's addresses from
// them until the kubelet reports status.podIPs.
const (
	AnnotationPodIP       = "cni.projectcalico.org/podIP"
	AnnotationPodIPs      = "cni.projectcalico.org/podIPs"
	AnnotationContainerID = "cni.projectcalico.org/containerID"
)

// An endpoint exists while the pod's podIP(s) annotations hold addresses. A
// delete empties them and keeps containerID, so that a repeated or late DEL
// can tell which sandbox the pod's addresses belong to. The Rev of an
// endpoint is the pod's resourceVersion: a global etcd revision, so a
// precondition on it also pins the pod's UID.

// GetWorkloadEndpoint derives the endpoint from the pod (one GET). The
// endpoint of a workload that is not a pod never exists here.
func (s *Store) GetWorkloadEndpoint(ctx context.Context, k datastore.WEPKey) (*datastore.Versioned[datastore.WorkloadEndpoint], error) {
	w, err := s.readEndpoint(ctx, k)
	if errors.Is(err, errNotPod) {
		return nil, fmt.Errorf("%w: %w", datastore.ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("%w: WorkloadEndpoint %s/%s (no %s annotation on the pod)", datastore.ErrNotFound, k.Namespace, k.Name, AnnotationPodIP)
	}
	return w, nil
}

// readEndpoint is GetWorkloadEndpoint with nil for an absent endpoint (a
// Read's view: a non-pod endpoint is absent, without an error).
func (s *Store) readEndpoint(ctx context.Context, k datastore.WEPKey) (*datastore.Versioned[datastore.WorkloadEndpoint], error) {
	id, err := parseWEPName(k.Name)
	if errors.Is(err, errNotPod) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := s.c.GetPod(ctx, k.Namespace, id.pod)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	w, ok := EndpointFromPod(k, id.endpoint, p)
	if !ok {
		s.setVacant(k, &podRev{rev: p.Metadata.ResourceVersion, uid: p.Metadata.UID})
		return nil, nil
	}
	s.setVacant(k, nil)
	return &datastore.Versioned[datastore.WorkloadEndpoint]{Value: w, Rev: p.Metadata.ResourceVersion}, nil
}

// PutWorkloadEndpoint writes the endpoint's addresses and container ID into
// the pod's annotations. With w.Rev it is one PATCH conditional on the pod
// still being at that revision. Without, the endpoint must not exist: one
// PATCH conditional on the revision at which this Store last saw the pod
// without it, or a GET and a PATCH.
func (s *Store) PutWorkloadEndpoint(ctx context.Context, w datastore.Versioned[datastore.WorkloadEndpoint]) (string, error) {
	k := datastore.WEPKey{Namespace: w.Value.Metadata.Namespace, Name: w.Value.Metadata.Name}
	id, err := parseWEPName(k.Name)
	if err != nil {
		return "", err
	}
	ips := w.Value.Spec.IPNetworks
	if len(ips) == 0 {
		return "", fmt.Errorf("WorkloadEndpoint %s/%s has no ipNetworks to record", k.Namespace, k.Name)
	}
	ann := map[string]string{AnnotationPodIP: ips[0], AnnotationPodIPs: strings.Join(ips, ",")}
	if w.Value.Spec.ContainerID != "" {
		ann[AnnotationContainerID] = w.Value.Spec.ContainerID
	}
	if w.Rev != "" {
		p, err := s.patchPod(ctx, k, id, ann, w.Rev, w.Value.Metadata.UID)
		if err != nil {
			return "", s.lost(ctx, k, err)
		}
		return p.Metadata.ResourceVersion, nil
	}
	if at, known := s.vacantAt(k); known {
		p, err := s.patchPod(ctx, k, id, ann, at.rev, at.uid)
		if err == nil {
			s.setVacant(k, nil)
			return p.Metadata.ResourceVersion, nil
		}
		if !errors.Is(err, datastore.ErrConflict) {
			return "", err
		}
	}
	cur, err := s.readEndpoint(ctx, k) // the pod changed since, or was never read
	if err != nil {
		return "", err
	}
	if cur != nil {
		return "", fmt.Errorf("%w: WorkloadEndpoint %s/%s (pod %s has %s=%s)", datastore.ErrExists,
			k.Namespace, k.Name, id.pod, AnnotationPodIP, cur.Value.Spec.IPNetworks[0])
	}
	at, known := s.vacantAt(k)
	if !known {
		return "", fmt.Errorf("%w: pod %s/%s does not exist", datastore.ErrNotFound, k.Namespace, id.pod)
	}
	p, err := s.patchPod(ctx, k, id, ann, at.rev, at.uid)
	if err != nil {
		return "", err
	}
	s.setVacant(k, nil)
	return p.Metadata.ResourceVersion, nil
}

// DeleteWorkloadEndpoint empties the podIP and podIPs annotations, keeping
// containerID, on the condition that the pod is still at rev (or, with no
// rev, at the revision a GET just found the endpoint at).
func (s *Store) DeleteWorkloadEndpoint(ctx context.Context, k datastore.WEPKey, rev string) error {
	id, err := parseWEPName(k.Name)
	if errors.Is(err, errNotPod) {
		return fmt.Errorf("%w: %w", datastore.ErrNotFound, err)
	}
	if err != nil {
		return err
	}
	uid := ""
	if rev == "" {
		cur, err := s.GetWorkloadEndpoint(ctx, k)
		if err != nil {
			return err
		}
		rev, uid = cur.Rev, cur.Value.Metadata.UID
	}
	p, err := s.patchPod(ctx, k, id, map[string]string{AnnotationPodIP: "", AnnotationPodIPs: ""}, rev, uid)
	if err != nil {
		return s.lost(ctx, k, err)
	}
	if p.Metadata.ResourceVersion == rev {
		// Nothing changed: the annotations were empty already.
		return fmt.Errorf("%w: WorkloadEndpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	}
	return nil
}

// vacantAt is the pod revision at which this Store last found endpoint k
// absent.
func (s *Store) vacantAt(k datastore.WEPKey) (podRev, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.vacant[k]
	return at, ok
}

func (s *Store) setVacant(k datastore.WEPKey, at *podRev) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at == nil {
		delete(s.vacant, k)
	} else {
		s.vacant[k] = *at
	}
}

// patchPod sets annotations on the pod, conditional on rev (and uid).
func (s *Store) patchPod(ctx context.Context, k datastore.WEPKey, id wepID, ann map[string]string, rev, uid string) (*k8s.Pod, error) {
	m := map[string]any{"annotations": ann, "resourceVersion": rev}
	if uid != "" {
		m["uid"] = uid
	}
	return s.c.PatchPodStatus(ctx, k.Namespace, id.pod, map[string]any{"metadata": m})
}

// lost classifies a conditional PATCH that failed on a conflict as etcd
// does: ErrNotFound when the endpoint (or the pod) is gone, else ErrConflict.
// One GET, only on that path.
func (s *Store) lost(ctx context.Context, k datastore.WEPKey, err error) error {
	if !errors.Is(err, datastore.ErrConflict) {
		return err
	}
	cur, gerr := s.readEndpoint(ctx, k)
	switch {
	case gerr != nil:
		return errors.Join(err, gerr)
	case cur == nil:
		return fmt.Errorf("%w: WorkloadEndpoint %s/%s: %w", datastore.ErrNotFound, k.Namespace, k.Name, err)
	}
	return err
}

// EndpointFromPod is the WorkloadEndpoint Calico derives from a pod
// (conversion.PodToWorkloadEndpoints), with the addresses of the CNI
// annotations; false when they hold none.
func EndpointFromPod(k datastore.WEPKey, endpoint string, p *k8s.Pod) (datastore.WorkloadEndpoint, bool) {
	a := p.Metadata.Annotations
	var ips []string
	if v := a[AnnotationPodIPs]; v != "" {
		ips = strings.Split(v, ",")
	} else if v := a[AnnotationPodIP]; v != "" {
		ips = []string{v}
	}
	if len(ips) == 0 {
		return datastore.WorkloadEndpoint{}, false
	}
	ns, sa := p.Metadata.Namespace, p.Spec.ServiceAccountName
	if ns == "" {
		ns = k.Namespace
	}
	labels := map[string]string{}
	for k, v := range p.Metadata.Labels {
		labels[k] = v
	}
	labels["projectcalico.org/namespace"] = ns
	labels["projectcalico.org/orchestrator"] = "k8s"
	profiles := []string{"kns." + ns}
	if sa != "" {
		if len(sa) < 63 {
			labels["projectcalico.org/serviceaccount"] = sa
		}
		profiles = append(profiles, "ksa."+ns+"."+sa)
	}
	h := sha1.Sum([]byte(ns + "." + p.Metadata.Name))
	return datastore.WorkloadEndpoint{
		Kind: "WorkloadEndpoint", APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{
			Name: k.Name, Namespace: ns, GenerateName: p.Metadata.GenerateName, UID: p.Metadata.UID,
			ResourceVersion: p.Metadata.ResourceVersion, CreationTimestamp: p.Metadata.CreationTimestamp, Labels: labels,
		},
		Spec: datastore.WorkloadEndpointSpec{
			Orchestrator: "k8s", Node: p.Spec.NodeName, ContainerID: a[AnnotationContainerID], Pod: p.Metadata.Name,
			Endpoint: endpoint, ServiceAccountName: sa, IPNetworks: ips, Profiles: profiles,
			InterfaceName: "cali" + hex.EncodeToString(h[:])[:11], Ports: EndpointPorts(p),
		},
	}, true
}

// EndpointPorts are the pod's named and host ports as a WorkloadEndpoint
// lists them (protocol TCP when unset).
func EndpointPorts(p *k8s.Pod) []datastore.EndpointPort {
	var ports []datastore.EndpointPort
	for _, c := range append(slices.Clip(p.Spec.Containers), p.Spec.InitContainers...) {
		for _, cp := range c.Ports {
			if cp.ContainerPort == 0 || (cp.Name == "" && cp.HostPort == 0) {
				continue
			}
			var proto string
			switch strings.ToUpper(cp.Protocol) {
			case "", "TCP":
				proto = "TCP"
			case "UDP", "SCTP":
				proto = strings.ToUpper(cp.Protocol)
			default:
				continue // Calico ignores a port of an unknown protocol
			}
			ports = append(ports, datastore.EndpointPort{Name: cp.Name, Protocol: proto, Port: uint16(cp.ContainerPort),
				HostPort: uint16(cp.HostPort), HostIP: cp.HostIP})
		}
	}
	return ports
}

// EnsureProfile does nothing: on the Kubernetes datastore Calico's profiles
// are derived from namespaces and service accounts, and cannot be created.
func (s *Store) EnsureProfile(context.Context, datastore.Profile) error { return nil }
