package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/datastore/kdd"
	"github.com/calico-win/cni/internal/k8s"
)

// The Kubernetes API server: the client, and what the plugin reads there of
// the pod, its namespace and its node, with either datastore (the pod's
// labels, service account, ports and pool annotations; the node's pod CIDR).
// One API client per netconf serves all of a CNI call, so the Kubernetes
// datastore and the pod reads share one TLS connection.

var kubeClients struct {
	sync.Mutex
	m map[k8s.Config]*k8s.Client
}

// kubeConfig is the API server access the netconf describes, with Calico's
// precedence: kubernetes.k8s_api_root over policy.k8s_api_root, the
// policy.k8s_* credentials over the kubeconfig's.
func kubeConfig(nc *NetConf) k8s.Config {
	root := nc.Kubernetes.K8sAPIRoot
	if root == "" {
		root = nc.Policy.K8sAPIRoot
	}
	return k8s.Config{
		Kubeconfig: nc.Kubernetes.Kubeconfig, APIRoot: root,
		Token: nc.Policy.K8sAuthToken, ClientCertificate: nc.Policy.K8sClientCertificate,
		ClientKey: nc.Policy.K8sClientKey, CertificateAuthority: nc.Policy.K8sCertificateAuthority,
		UserAgent: "calico-win/" + Version, SessionCache: stateFile(nc, "kube-tls-session"),
	}
}

// kubeClient returns the process's client for the netconf's API server.
func kubeClient(nc *NetConf) (*k8s.Client, error) {
	cfg := kubeConfig(nc)
	kubeClients.Lock()
	defer kubeClients.Unlock()
	if c, ok := kubeClients.m[cfg]; ok {
		return c, nil
	}
	c, err := k8s.New(cfg)
	if err != nil {
		return nil, &ConfigError{Key: "kubernetes.kubeconfig", Value: cfg.Kubeconfig, Reason: err.Error()}
	}
	if kubeClients.m == nil {
		kubeClients.m = map[k8s.Config]*k8s.Client{}
	}
	kubeClients.m[cfg] = c
	return c, nil
}

// kubePod is what the API server says about the pod of a CNI call.
type kubePod struct {
	podInfo
	UID  string
	Node string // spec.nodeName
	// Annotations are the pod's (ipAddrs, ipAddrsNoIpam, floatingIPs, ...).
	Annotations     map[string]string
	NamespaceLabels map[string]string
	// IPv4Pools is cni.projectcalico.org/ipv4pools of the pod, else of its
	// namespace, as Calico reads it (pool names or CIDRs); nil when neither
	// has the annotation.
	IPv4Pools []string
}

// annotationIPv4Pools selects the pools a pod's address may come from.
const annotationIPv4Pools = "cni.projectcalico.org/ipv4pools"

// readKubePod reads the pod and its namespace, in parallel (two requests,
// one round trip).
func readKubePod(ctx context.Context, nc *NetConf, namespace, name string) (*kubePod, error) {
	c, err := kubeClient(nc)
	if err != nil {
		return nil, err
	}
	var pod *k8s.Pod
	var ns *k8s.Namespace
	var podErr, nsErr error
	var wg sync.WaitGroup
	wg.Go(func() { pod, podErr = c.GetPod(ctx, namespace, name) })
	wg.Go(func() { ns, nsErr = c.GetNamespace(ctx, namespace) })
	wg.Wait()
	return newKubePod(namespace, name, pod, podErr, ns, nsErr)
}

// newKubePod is what the reads of the pod and its namespace say.
func newKubePod(namespace, name string, pod *k8s.Pod, podErr error, ns *k8s.Namespace, nsErr error) (*kubePod, error) {
	if errors.Is(podErr, datastore.ErrNotFound) {
		// Deleted while its sandbox was being set up: the runtime tears the
		// sandbox down (DEL) or, if the pod is back, tries again.
		return nil, fmt.Errorf("reading pod %s/%s: %w: %w", namespace, name, kdd.ErrPodGone, podErr)
	}
	if podErr != nil {
		return nil, fmt.Errorf("reading pod %s/%s: %w", namespace, name, podErr)
	}
	if nsErr != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", namespace, nsErr)
	}
	spoof, err := allowedSourcePrefixes(pod.Metadata.Annotations)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", namespace, name, err)
	}
	kp := &kubePod{
		podInfo: podInfo{Labels: pod.Metadata.Labels, ServiceAccount: pod.Spec.ServiceAccountName, Ports: kdd.EndpointPorts(pod),
			GenerateName: pod.Metadata.GenerateName, AllowSpoofedSourcePrefixes: spoof},
		UID: pod.Metadata.UID, Node: pod.Spec.NodeName, Annotations: pod.Metadata.Annotations,
		NamespaceLabels: ns.Metadata.Labels,
	}
	v, ok := pod.Metadata.Annotations[annotationIPv4Pools]
	where := "pod " + namespace + "/" + name
	if !ok {
		v, ok = ns.Metadata.Annotations[annotationIPv4Pools]
		where = "namespace " + namespace
	}
	if ok {
		if err := json.Unmarshal([]byte(v), &kp.IPv4Pools); err != nil {
			return nil, &ConfigError{Key: "annotation " + annotationIPv4Pools + " of " + where, Value: v,
				Reason: "want a JSON list of IP pool names or CIDRs: " + err.Error()}
		}
	}
	return kp, nil
}

// nodePodCIDR is the node's first IPv4 spec.podCIDRs entry, for host-local
// IPAM's "subnet": "usePodCidr".
func nodePodCIDR(ctx context.Context, nc *NetConf, node string) (netip.Prefix, error) {
	c, err := kubeClient(nc)
	if err != nil {
		return netip.Prefix{}, err
	}
	n, err := c.GetNode(ctx, node)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("reading node %s for its pod CIDR: %w", node, err)
	}
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, s := range cidrs {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			return p.Masked(), nil
		}
	}
	return netip.Prefix{}, errors.New("node " + node + " has no IPv4 spec.podCIDRs (usePodCidr needs one)")
}
