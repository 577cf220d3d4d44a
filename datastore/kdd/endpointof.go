package kdd

import (
	"context"
	"errors"
	"fmt"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/k8s"
)

// DeleteWorkloadEndpointOf empties the endpoint's podIP and podIPs
// annotations, as DeleteWorkloadEndpoint does, on the condition that the
// pod holds containerID cid (and is pod instance uid, when uid is set),
// without reading the pod first: one JSON patch whose "test" operations
// are that condition, which is what Calico's DEL checks before its delete
// (the endpoint's containerID against CNI_CONTAINERID). It fails with
// ErrConflict when the condition does not hold (another sandbox's
// endpoint, a pod without the containerID annotation, another pod of the
// name): the caller then reads the endpoint and decides. A pod that does
// not exist is ErrNotFound.
func (s *Store) DeleteWorkloadEndpointOf(ctx context.Context, k datastore.WEPKey, cid, uid string) error {
	id, err := parseWEPName(k.Name)
	if errors.Is(err, errNotPod) {
		return fmt.Errorf("%w: %w", datastore.ErrNotFound, err)
	}
	if err != nil {
		return err
	}
	if cid == "" {
		return fmt.Errorf("%w: no container ID to condition the delete of WorkloadEndpoint %s/%s on", datastore.ErrConflict, k.Namespace, k.Name)
	}
	var ops []k8s.PatchOp
	if uid != "" {
		ops = append(ops, k8s.PatchOp{Op: "test", Path: k8s.PatchPath("metadata", "uid"), Value: uid})
	}
	ops = append(ops, k8s.PatchOp{Op: "test", Path: k8s.PatchPath("metadata", "annotations", AnnotationContainerID), Value: cid})
	ann := map[string]string{AnnotationPodIP: "", AnnotationPodIPs: ""}
	for _, key := range []string{AnnotationPodIP, AnnotationPodIPs} {
		ops = append(ops, k8s.PatchOp{Op: "add", Path: k8s.PatchPath("metadata", "annotations", key), Value: ann[key]})
	}
	p, err := s.c.JSONPatchPodStatus(ctx, k.Namespace, id.pod, ops)
	if err != nil && unknownOutcome(err) {
		p, err = s.landedOf(ctx, k, id, uid, cid, err)
	}
	if errors.Is(err, datastore.ErrNotFound) {
		return fmt.Errorf("%w: pod %s/%s: %w", ErrPodGone, k.Namespace, id.pod, err)
	}
	if err != nil {
		return err
	}
	ps := stateOf(p)
	s.setLatest(k, p.Metadata.ResourceVersion, &ps)
	return nil
}

// landedOf resolves a lost reply to DeleteWorkloadEndpointOf's patch by
// reading the pod: applied when it is the instance asked for, still of
// container cid, with its addresses emptied.
func (s *Store) landedOf(ctx context.Context, k datastore.WEPKey, id wepID, uid, cid string, cause error) (*k8s.Pod, error) {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	p, err := s.c.GetPod(ctx, k.Namespace, id.pod)
	if err != nil || (uid != "" && p.Metadata.UID != uid) {
		return nil, cause
	}
	a := p.Metadata.Annotations
	if a[AnnotationContainerID] != cid || a[AnnotationPodIP] != "" || a[AnnotationPodIPs] != "" {
		return nil, cause
	}
	return p, nil
}
