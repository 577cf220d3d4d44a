package kdd

import (
	"errors"
	"fmt"
	"strings"
)

// errNotPod: the name is of a non-Kubernetes workload (orchestrator "cni"),
// which the Kubernetes datastore has nowhere to keep: it never exists.
var errNotPod = errors.New("the Kubernetes datastore keeps only pod endpoints (orchestrator k8s)")

// wepID is what a WorkloadEndpoint name says (libcalico-go's
// names.WorkloadEndpointIdentifiers): <node>-<orchestrator>-<workload>-<endpoint>,
// each "-" inside a segment doubled.
type wepID struct {
	node, orchestrator, pod, endpoint string
}

// parseWEPName splits a WorkloadEndpoint name. On the Kubernetes datastore
// only pod endpoints (orchestrator k8s) exist: they are the pods.
func parseWEPName(name string) (wepID, error) {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] != '-':
			cur.WriteByte(name[i])
		case i+1 < len(name) && name[i+1] == '-':
			cur.WriteByte('-')
			i++
		default:
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	segs = append(segs, cur.String())
	if len(segs) != 4 || segs[0] == "" || segs[2] == "" || segs[3] == "" {
		return wepID{}, fmt.Errorf("malformed WorkloadEndpoint name %q: want <node>-k8s-<pod>-<endpoint>", name)
	}
	id := wepID{node: segs[0], orchestrator: segs[1], pod: segs[2], endpoint: segs[3]}
	if id.orchestrator != "k8s" {
		return wepID{}, fmt.Errorf("WorkloadEndpoint %q (orchestrator %q): %w", name, id.orchestrator, errNotPod)
	}
	return id, nil
}
