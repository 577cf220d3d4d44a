package plugin

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/calico-win/cni/datastore"
)

// wepName is Calico's WorkloadEndpoint name (names.WorkloadEndpointIdentifiers):
// <node>-k8s-<pod>-<endpoint> or <node>-cni-<containerID>-<endpoint>, with
// every "-" inside a segment doubled.
func wepName(node, orchestrator, workload, endpoint string) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "-", "--") }
	return esc(node) + "-" + orchestrator + "-" + esc(workload) + "-" + esc(endpoint)
}

// hostIfName is the host-side interface name Calico reports: "cali" plus 11
// hex digits of sha1("<namespace>.<pod>") for Kubernetes pods, or the first
// 11 characters of the container ID otherwise.
func hostIfName(k8s bool, namespace, pod, containerID string) string {
	if k8s {
		h := sha1.Sum([]byte(namespace + "." + pod))
		return "cali" + hex.EncodeToString(h[:])[:11]
	}
	id := containerID
	if len(id) > 11 {
		id = id[:11]
	}
	return "cali" + id
}

// wepKey names the workload endpoint of this call.
func (c *call) wepKey() datastore.WEPKey {
	if c.cargs.k8s() {
		return datastore.WEPKey{Namespace: string(c.cargs.K8S_POD_NAMESPACE),
			Name: wepName(c.node, "k8s", string(c.cargs.K8S_POD_NAME), c.args.IfName)}
	}
	return datastore.WEPKey{Namespace: "default", Name: wepName(c.node, "cni", c.args.ContainerID, c.args.IfName)}
}

// podInfo is what the plugin knows of the pod beyond CNI_ARGS (from the
// Kubernetes API when a kubeconfig is configured).
type podInfo struct {
	Labels         map[string]string
	ServiceAccount string
	Ports          []datastore.EndpointPort
	GenerateName   string
	// AllowSpoofedSourcePrefixes is the cni.projectcalico.org/allowedSourcePrefixes
	// annotation, validated and normalised.
	AllowSpoofedSourcePrefixes []string
}

// annotationAllowedSourcePrefixes lists the source CIDRs a pod may send
// from besides its own addresses.
const annotationAllowedSourcePrefixes = "cni.projectcalico.org/allowedSourcePrefixes"

// allowedSourcePrefixes parses the annotation as Calico does
// (HandleSourceIPSpoofingAnnotation): a JSON list of CIDRs, each masked to
// its network; bad JSON or a bad CIDR fails the ADD.
func allowedSourcePrefixes(annotations map[string]string) ([]string, error) {
	v := annotations[annotationAllowedSourcePrefixes]
	if v == "" {
		return nil, nil
	}
	bad := func(reason string) error {
		return &ConfigError{Key: "pod annotation " + annotationAllowedSourcePrefixes, Value: v, Reason: reason}
	}
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, bad("not a JSON list of CIDRs: " + err.Error())
	}
	var out []string
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, bad(fmt.Sprintf("%q is not a CIDR", s))
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}

// buildWEP returns the WorkloadEndpoint Calico writes for this container.
func (c *call) buildWEP(addr netip.Addr, mac string, pod *podInfo) datastore.WorkloadEndpoint {
	k := c.wepKey()
	w := datastore.WorkloadEndpoint{Kind: "WorkloadEndpoint", APIVersion: "projectcalico.org/v3",
		Metadata: datastore.ObjectMeta{Name: k.Name, Namespace: k.Namespace, Labels: map[string]string{}}}
	s := &w.Spec
	s.Node, s.ContainerID, s.Endpoint = c.node, c.args.ContainerID, c.args.IfName
	s.IPNetworks = []string{netip.PrefixFrom(addr, 32).String()}
	if hw, err := net.ParseMAC(mac); err == nil {
		s.MAC = hw.String()
	}
	if c.cargs.k8s() {
		ns, podName := string(c.cargs.K8S_POD_NAMESPACE), string(c.cargs.K8S_POD_NAME)
		s.Orchestrator, s.Pod = "k8s", podName
		s.InterfaceName = hostIfName(true, ns, podName, "")
		if pod != nil {
			for k, v := range pod.Labels {
				w.Metadata.Labels[k] = v
			}
			s.ServiceAccountName, s.Ports = pod.ServiceAccount, pod.Ports
			w.Metadata.GenerateName = pod.GenerateName
			s.AllowSpoofedSourcePrefixes = pod.AllowSpoofedSourcePrefixes
		}
		if strings.EqualFold(c.nc.Policy.Type, "k8s") {
			s.Profiles = []string{"kns." + ns}
			if s.ServiceAccountName != "" {
				s.Profiles = append(s.Profiles, "ksa."+ns+"."+s.ServiceAccountName)
			}
		} else {
			s.Profiles = []string{c.nc.Name}
		}
		if sa := s.ServiceAccountName; sa != "" && len(sa) < 63 {
			w.Metadata.Labels["projectcalico.org/serviceaccount"] = sa
		}
	} else {
		s.Orchestrator = "cni"
		s.InterfaceName = hostIfName(false, "", "", c.args.ContainerID)
		s.Profiles = []string{c.nc.Name}
	}
	w.Metadata.Labels["projectcalico.org/namespace"] = k.Namespace
	w.Metadata.Labels["projectcalico.org/orchestrator"] = s.Orchestrator
	return w
}
