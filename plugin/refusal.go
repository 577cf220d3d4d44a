package plugin

import "strings"

// configRefusal is the reason ADD refuses this config before doing any
// work, or nil (the mode and the other keys are checked when the config
// is parsed). STATUS asks the same question, so that a node whose config
// can never serve an ADD reports "not available" (50) instead of OK.
func (c *call) configRefusal() error {
	if c.calicoIPAM() && deref(c.nc.IPAM.AssignIPv4) == "false" {
		return &ConfigError{Key: "ipam.assign_ipv4", Value: "false", Reason: "the pod needs an IPv4 address"}
	}
	return nil
}

// podRefusal is the reason ADD refuses this config for this container
// (CNI_ARGS), before doing any work, or nil. STATUS has no container.
func (c *call) podRefusal() error {
	if !c.cargs.k8s() && c.nc.FeatureControl.IPAddrsNoIpam {
		return &ConfigError{Key: "feature_control.ip_addrs_no_ipam", Value: "true", Reason: "requested feature is not supported for this runtime: ip_addrs_no_ipam (Kubernetes pods only)"}
	}
	if c.cargs.k8s() && strings.EqualFold(c.nc.Policy.Type, "k8s") && !usesKubeAPI(c.nc) {
		// Calico builds its Kubernetes client from these keys and fails the
		// ADD when there are none; an endpoint without the pod's labels,
		// service account and ports would escape every policy.
		return &ConfigError{Key: "policy.type", Value: c.nc.Policy.Type, Reason: "needs the Kubernetes API " +
			"(kubernetes.kubeconfig, kubernetes.k8s_api_root or policy.k8s_api_root) to read the pod; Calico fails with " +
			`"invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable"`}
	}
	return nil
}
