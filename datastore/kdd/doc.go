// Package kdd is the datastore.Store of Calico's Kubernetes datastore
// (datastore_type: kubernetes): IPAM blocks, block affinities and handles as
// the custom resources Calico itself writes (names, labels and field names
// exactly as libcalico-go has them), in either of Calico's API groups:
// crd.projectcalico.org/v1 (the default; BlockAffinity's "deleted" is a
// string there) or projectcalico.org/v3 CRDs, configured or discovered as
// Calico does (APIGroup, crdClient); IP pools, IPAMConfig(uration) and
// ClusterInformation read from their CRDs; the Calico Node read from the
// Kubernetes Node; and the workload endpoint kept, as Calico does, in the
// pod's cni.projectcalico.org annotations.
//
// Compare-and-swap is on metadata.resourceVersion. Kubernetes has no
// transactions, so a Change is applied in Calico's crash-safe order and, if
// a write loses part way, rolled back as far as Kubernetes allows; a write
// whose reply is lost is first resolved by writing it again and reading,
// and is never undone blindly (outcome.go). Deletes follow Calico's
// soft-delete protocol, so Calico's readers and ours agree. The pod
// annotations are written conditioned on the pod's UID and on the
// annotations as read, never on the pod's resourceVersion (endpoint.go).
// Reads that need several objects issue their requests in parallel.
//
// It speaks to the API server only through internal/k8s, and must not
// import ipam, plugin or another backend.
package kdd
