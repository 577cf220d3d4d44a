package k8s

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// ObjectMeta is the part of metav1.ObjectMeta the plugin reads and writes.
type ObjectMeta struct {
	Name              string            `json:"name,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	GenerateName      string            `json:"generateName,omitempty"`
	UID               string            `json:"uid,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
	DeletionTimestamp string            `json:"deletionTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// Pod is the part of a core/v1 Pod the plugin reads.
type Pod struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     PodSpec    `json:"spec"`
	Status   PodStatus  `json:"status"`
}

// PodSpec is the part of a core/v1 PodSpec the plugin reads.
type PodSpec struct {
	NodeName           string      `json:"nodeName,omitempty"`
	ServiceAccountName string      `json:"serviceAccountName,omitempty"`
	HostNetwork        bool        `json:"hostNetwork,omitempty"`
	Containers         []Container `json:"containers,omitempty"`
	// InitContainers' ports count too, as Calico maps them (native
	// sidecars serve on theirs).
	InitContainers []Container `json:"initContainers,omitempty"`
}

// Container is the part of a core/v1 Container the plugin reads: its ports.
type Container struct {
	Name  string          `json:"name"`
	Ports []ContainerPort `json:"ports,omitempty"`
}

// ContainerPort is a core/v1 ContainerPort.
type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	HostPort      int32  `json:"hostPort,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
	HostIP        string `json:"hostIP,omitempty"`
}

// PodStatus is the part of a core/v1 PodStatus the plugin reads.
type PodStatus struct {
	PodIP  string  `json:"podIP,omitempty"`
	PodIPs []PodIP `json:"podIPs,omitempty"`
}

// PodIP is one entry of status.podIPs.
type PodIP struct {
	IP string `json:"ip"`
}

// Namespace is the part of a core/v1 Namespace the plugin reads.
type Namespace struct {
	Metadata ObjectMeta `json:"metadata"`
}

// Node is the part of a core/v1 Node the plugin reads.
type Node struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		PodCIDR  string   `json:"podCIDR,omitempty"`
		PodCIDRs []string `json:"podCIDRs,omitempty"`
	} `json:"spec"`
}

func podPath(namespace, name string) string {
	return "/api/v1/namespaces/" + url.PathEscape(namespace) + "/pods/" + url.PathEscape(name)
}

// GetPod reads a pod.
func (c *Client) GetPod(ctx context.Context, namespace, name string) (*Pod, error) {
	var p Pod
	err := c.do(ctx, request{verb: "get", method: http.MethodGet, path: podPath(namespace, name)}, &p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// GetNamespace reads a namespace from the API server's watch cache
// (resourceVersion=0): the namespace of a pod being started changes
// rarely, and the cached read costs the server half as much (no etcd
// read). A namespace the cache does not have yet (just created) is read
// from etcd.
func (c *Client) GetNamespace(ctx context.Context, name string) (*Namespace, error) {
	r := request{verb: "get", method: http.MethodGet, path: "/api/v1/namespaces/" + url.PathEscape(name),
		query: url.Values{"resourceVersion": {"0"}}}
	var n Namespace
	err := c.do(ctx, r, &n)
	if errors.Is(err, datastore.ErrNotFound) {
		r.query = nil
		err = c.do(ctx, r, &n)
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// GetNode reads a node.
func (c *Client) GetNode(ctx context.Context, name string) (*Node, error) {
	var n Node
	err := c.do(ctx, request{verb: "get", method: http.MethodGet, path: "/api/v1/nodes/" + url.PathEscape(name)}, &n)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// PatchNodeAnnotations merges annotations into the node's, a nil value
// removing one (one request, no read: the other annotations are kept). It
// needs "patch" on nodes, which
// Calico's calico-cni-plugin role does not grant: ErrUnauthorized then.
func (c *Client) PatchNodeAnnotations(ctx context.Context, name string, annotations map[string]*string) error {
	patch := map[string]any{"metadata": map[string]any{"annotations": annotations}}
	return c.do(ctx, request{
		verb: "patch", method: http.MethodPatch, path: "/api/v1/nodes/" + url.PathEscape(name),
		contentType: "application/merge-patch+json", body: patch,
	}, nil)
}

// PatchPodStatus applies a strategic-merge patch to the pod's status
// subresource, the only write to pods Calico's CNI role allows (it carries
// metadata.annotations too). A metadata.resourceVersion or metadata.uid in
// the patch is a precondition: a mismatch fails with a 409 Conflict.
func (c *Client) PatchPodStatus(ctx context.Context, namespace, name string, patch any) (*Pod, error) {
	var p Pod
	err := c.do(ctx, request{
		verb: "patch", method: http.MethodPatch, path: podPath(namespace, name) + "/status",
		contentType: "application/strategic-merge-patch+json", body: patch,
	}, &p)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == http.StatusUnprocessableEntity && strings.Contains(ae.Message, "metadata.uid") {
		// The server refuses a uid that differs as an invalid change of an
		// immutable field: for us, the pod was replaced since it was read.
		ae.Code, ae.Reason = http.StatusConflict, "Conflict"
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PatchOp is one operation of a JSON patch (RFC 6902). Its "test"
// operations are the preconditions of a PATCH that must not depend on the
// resourceVersion: they compare only the fields the writer cares about.
type PatchOp struct {
	Op    string `json:"op"` // test, add, replace
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// PatchPath is the JSON pointer of a field: each segment escaped (RFC 6901).
func PatchPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
	}
	return b.String()
}

// JSONPatchPodStatus applies a JSON patch to the pod's status subresource
// (like PatchPodStatus, the only pod write Calico's CNI role may make). A
// failed "test" operation is a 409 Conflict: the pod is not as the writer
// read it. (The server answers it with a bare 422 whose message says only
// that the request was wrong; an invalid resulting pod has a message naming
// the pod, and stays a 422.)
func (c *Client) JSONPatchPodStatus(ctx context.Context, namespace, name string, ops []PatchOp) (*Pod, error) {
	var p Pod
	err := c.do(ctx, request{
		verb: "patch", method: http.MethodPatch, path: podPath(namespace, name) + "/status",
		contentType: "application/json-patch+json", body: ops,
	}, &p)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == http.StatusUnprocessableEntity && ae.Message == jsonPatchFailed {
		ae.Code, ae.Reason = http.StatusConflict, "Conflict"
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// jsonPatchFailed is the message of a JSON patch the server could not apply.
const jsonPatchFailed = "the server rejected our request due to an error in our request"
