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
// endpoint is the pod's resourceVersion at which it was read.
//
// A write is conditioned on the endpoint, not on the pod: on the pod
// instance (its UID, so a sandbox of a deleted pod never writes on a new pod
// of the same name) and on the annotations as read at Rev (containerID,
// podIP, podIPs: so one sandbox never changes what another wrote), with the
// "test" operations of a JSON patch. It never depends on the pod's
// resourceVersion, as Calico's ADD does not (it drops it), so that other
// writers of the pod (the kubelet's status, labels, controllers) cannot
// fail an ADD or a DEL.

// ErrPodGone: the pod a write is for was deleted, or replaced by a new pod
// of the same name (another UID). It is an ErrNotFound.
var ErrPodGone = fmt.Errorf("%w: the pod was deleted or replaced", datastore.ErrNotFound)

// epState is what a write of an endpoint is conditioned on: the pod
// instance and the endpoint's annotations as read (nil: absent).
type epState struct {
	uid                        string
	annotations                bool // the pod has an annotations map
	podIP, podIPs, containerID *string
}

func stateOf(p *k8s.Pod) epState {
	st := epState{uid: p.Metadata.UID, annotations: p.Metadata.Annotations != nil}
	get := func(k string) *string {
		if v, ok := p.Metadata.Annotations[k]; ok {
			return &v
		}
		return nil
	}
	st.podIP, st.podIPs, st.containerID = get(AnnotationPodIP), get(AnnotationPodIPs), get(AnnotationContainerID)
	return st
}

// exists: the annotations hold an address.
func (st epState) exists() bool {
	return (st.podIP != nil && *st.podIP != "") || (st.podIPs != nil && *st.podIPs != "")
}

type epAt struct {
	k   datastore.WEPKey
	rev string
}

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
	w, _, err := s.readPodEndpoint(ctx, k)
	return w, err
}

// readPodEndpoint reads the pod of k and remembers the endpoint's state at
// the pod's revision; a nil state: no such pod.
func (s *Store) readPodEndpoint(ctx context.Context, k datastore.WEPKey) (*datastore.Versioned[datastore.WorkloadEndpoint], *epState, error) {
	id, err := parseWEPName(k.Name)
	if errors.Is(err, errNotPod) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := s.c.GetPod(ctx, k.Namespace, id.pod)
	if errors.Is(err, datastore.ErrNotFound) {
		s.setLatest(k, "", nil)
		s.setPodRead(k, nil)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	s.setPodRead(k, p)
	st := stateOf(p)
	s.setLatest(k, p.Metadata.ResourceVersion, &st)
	w, ok := EndpointFromPod(k, id.endpoint, p)
	if !ok {
		return nil, &st, nil
	}
	return &datastore.Versioned[datastore.WorkloadEndpoint]{Value: w, Rev: p.Metadata.ResourceVersion}, &st, nil
}

// PutWorkloadEndpoint writes the endpoint's addresses and container ID into
// the pod's annotations: one PATCH, conditioned on the endpoint as this
// Store read it at w.Rev (or, without w.Rev, as it last found it absent)
// and on the pod's UID (w's when set: K8S_POD_UID, or the pod the caller
// read). Without w.Rev the endpoint must not exist.
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
	uid := w.Value.Metadata.UID
	if w.Rev != "" {
		st, err := s.stateAt(ctx, k, w.Rev)
		if err != nil {
			return "", err
		}
		if !st.exists() {
			return "", fmt.Errorf("%w: WorkloadEndpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
		}
		return s.patchEndpoint(ctx, k, id, st, uid, ann)
	}
	// The pod instance is the caller's (K8S_POD_UID), else the one this
	// Store first saw: never another pod of the same name.
	st0, known := s.latestState(k)
	if uid == "" && known {
		uid = st0.uid
	}
	for attempt := 0; ; attempt++ {
		st := st0
		if !known || attempt > 0 {
			cur, got, err := s.readPodEndpoint(ctx, k)
			if err != nil {
				return "", err
			}
			if got == nil {
				return "", fmt.Errorf("%w: pod %s/%s does not exist", ErrPodGone, k.Namespace, id.pod)
			}
			if uid == "" {
				uid = got.uid
			}
			if uid != got.uid {
				return "", fmt.Errorf("%w: pod %s/%s is now UID %s, not %s", ErrPodGone, k.Namespace, id.pod, got.uid, uid)
			}
			if cur != nil {
				return "", fmt.Errorf("%w: WorkloadEndpoint %s/%s (pod %s has %s=%s)", datastore.ErrExists,
					k.Namespace, k.Name, id.pod, AnnotationPodIP, cur.Value.Spec.IPNetworks[0])
			}
			st = *got
		}
		if st.exists() {
			return "", fmt.Errorf("%w: WorkloadEndpoint %s/%s", datastore.ErrExists, k.Namespace, k.Name)
		}
		rev, err := s.patchEndpoint(ctx, k, id, st, uid, ann)
		if errors.Is(err, datastore.ErrConflict) && attempt == 0 {
			continue // the endpoint changed since this Store read it: read it again
		}
		return rev, err
	}
}

// DeleteWorkloadEndpoint empties the podIP and podIPs annotations, keeping
// containerID, on the condition that the endpoint is still as this Store
// read it at rev (or, with no rev, as a GET finds it now).
func (s *Store) DeleteWorkloadEndpoint(ctx context.Context, k datastore.WEPKey, rev string) error {
	id, err := parseWEPName(k.Name)
	if errors.Is(err, errNotPod) {
		return fmt.Errorf("%w: %w", datastore.ErrNotFound, err)
	}
	if err != nil {
		return err
	}
	if rev == "" {
		cur, err := s.GetWorkloadEndpoint(ctx, k)
		if err != nil {
			return err
		}
		rev = cur.Rev
	}
	st, err := s.stateAt(ctx, k, rev)
	if err != nil {
		return err
	}
	if !st.exists() {
		return fmt.Errorf("%w: WorkloadEndpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	}
	_, err = s.patchEndpoint(ctx, k, id, st, "", map[string]string{AnnotationPodIP: "", AnnotationPodIPs: ""})
	return err
}

// stateAt is the endpoint's state at pod revision rev: as this Store read
// it, or as a GET finds it if the pod is still at rev. A pod that has moved
// on from a revision this Store did not see is a conflict (or, if its
// endpoint is gone, ErrNotFound).
func (s *Store) stateAt(ctx context.Context, k datastore.WEPKey, rev string) (epState, error) {
	s.mu.Lock()
	st, ok := s.endpoints[epAt{k, rev}]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	cur, got, err := s.readPodEndpoint(ctx, k)
	switch {
	case err != nil:
		return epState{}, err
	case cur != nil && cur.Rev == rev:
		return *got, nil
	case cur == nil:
		return epState{}, fmt.Errorf("%w: WorkloadEndpoint %s/%s", datastore.ErrNotFound, k.Namespace, k.Name)
	}
	return epState{}, fmt.Errorf("%w: WorkloadEndpoint %s/%s: the pod is at revision %s, and its endpoint at %s was not read by this process",
		datastore.ErrConflict, k.Namespace, k.Name, cur.Rev, rev)
}

// patchEndpoint sets ann on the pod if it is still the instance of st
// (and of uid, when given) with the endpoint annotations of st.
func (s *Store) patchEndpoint(ctx context.Context, k datastore.WEPKey, id wepID, st epState, uid string, ann map[string]string) (string, error) {
	if uid != "" && uid != st.uid {
		return "", fmt.Errorf("%w: pod %s/%s is now UID %s, not %s", ErrPodGone, k.Namespace, id.pod, st.uid, uid)
	}
	var p *k8s.Pod
	var err error
	if !st.annotations {
		// No annotations to test or add to: a strategic merge creates the
		// map, conditioned on the UID (as Calico's patch is).
		p, err = s.c.PatchPodStatus(ctx, k.Namespace, id.pod, map[string]any{"metadata": map[string]any{"uid": st.uid, "annotations": ann}})
	} else {
		ops := []k8s.PatchOp{{Op: "test", Path: k8s.PatchPath("metadata", "uid"), Value: st.uid}}
		for _, a := range []struct {
			key string
			v   *string
		}{{AnnotationPodIP, st.podIP}, {AnnotationPodIPs, st.podIPs}, {AnnotationContainerID, st.containerID}} {
			if a.v != nil {
				ops = append(ops, k8s.PatchOp{Op: "test", Path: k8s.PatchPath("metadata", "annotations", a.key), Value: *a.v})
			}
		}
		for _, key := range []string{AnnotationPodIP, AnnotationPodIPs, AnnotationContainerID} {
			if v, ok := ann[key]; ok {
				ops = append(ops, k8s.PatchOp{Op: "add", Path: k8s.PatchPath("metadata", "annotations", key), Value: v})
			}
		}
		p, err = s.c.JSONPatchPodStatus(ctx, k.Namespace, id.pod, ops)
	}
	if errors.Is(err, datastore.ErrNotFound) {
		return "", fmt.Errorf("%w: pod %s/%s: %w", ErrPodGone, k.Namespace, id.pod, err)
	}
	if err != nil && unknownOutcome(err) {
		p, err = s.landed(ctx, k, id, st.uid, ann, err)
	}
	if err != nil {
		return "", s.lost(ctx, k, st, err)
	}
	ps := stateOf(p)
	s.setLatest(k, p.Metadata.ResourceVersion, &ps)
	return p.Metadata.ResourceVersion, nil
}

// landed resolves a PATCH whose reply was lost by reading the pod (on a
// fresh short budget): the write counts as applied when the pod instance
// holds exactly the annotations it wrote. Otherwise cause is returned: the
// caller fails with code 11 and the runtime's DEL or retried ADD finds the
// endpoint as it is.
func (s *Store) landed(ctx context.Context, k datastore.WEPKey, id wepID, uid string, ann map[string]string, cause error) (*k8s.Pod, error) {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	p, err := s.c.GetPod(ctx, k.Namespace, id.pod)
	if err != nil || p.Metadata.UID != uid {
		return nil, cause
	}
	for key, v := range ann {
		if got, ok := p.Metadata.Annotations[key]; !ok || got != v {
			return nil, cause
		}
	}
	return p, nil
}

// lost classifies a conditional PATCH that failed on a conflict as etcd
// does: ErrPodGone when the pod was replaced, ErrNotFound when the endpoint
// is gone, else ErrConflict. One GET, only on that path.
func (s *Store) lost(ctx context.Context, k datastore.WEPKey, was epState, err error) error {
	if !errors.Is(err, datastore.ErrConflict) {
		return err
	}
	cur, st, gerr := s.readPodEndpoint(ctx, k)
	switch {
	case gerr != nil:
		return errors.Join(err, gerr)
	case st == nil || st.uid != was.uid:
		return fmt.Errorf("%w: WorkloadEndpoint %s/%s: %w", ErrPodGone, k.Namespace, k.Name, err)
	case cur == nil:
		return fmt.Errorf("%w: WorkloadEndpoint %s/%s: %w", datastore.ErrNotFound, k.Namespace, k.Name, err)
	}
	return err
}

// latestState is the endpoint's state at the last pod revision this Store
// saw.
func (s *Store) latestState(k datastore.WEPKey) (epState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, ok := s.latest[k]
	if !ok || rev == "" {
		return epState{}, false
	}
	st, ok := s.endpoints[epAt{k, rev}]
	return st, ok
}

// setLatest records the endpoint's state at pod revision rev (nil: there
// is no pod).
func (s *Store) setLatest(k datastore.WEPKey, rev string, st *epState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == nil {
		delete(s.latest, k)
		return
	}
	s.latest[k] = rev
	s.endpoints[epAt{k, rev}] = *st
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
