// Package k8s is the plugin's lean client of the Kubernetes API: loading a
// kubeconfig with Calico's netconf overrides, and the few requests a CNI
// process makes (GET of a pod, namespace or node, a strategic-merge PATCH of
// pods/status, and get/list/create/update/delete of Calico's custom
// resources with preconditions). Objects are plain JSON structs holding only
// the fields the plugin reads.
//
// Every CNI call is a new process, so start-up cost matters more than
// anything a typed client offers: the package init of k8s.io/client-go and
// apimachinery alone cost each process about a millisecond. So it reads
// kubeconfigs itself, as clientcmd does (kubeconfig.go, apiconfig.go,
// config.go: current context, relative paths, clientcmd's validation and
// precedence, the in-cluster and HostProcess service account; exec
// credential plugins in exec.go; not auth-provider), builds the transport
// client-go would (transport.go: TLS, proxy, HTTP/2, credentials), and can
// keep the TLS session in a file for the next process to resume
// (Config.SessionCache, internal/tlssession). kubeconfig_diff_test.go holds
// it to clientcmd's results on a corpus of kubeconfigs.
//
// It must not import any k8s.io or sigs.k8s.io package (its tests may: the
// plugin binaries must not link them, internal/layering checks it), nor the
// datastore backends, ipam or plugin; of datastore it uses only the
// sentinel errors.
package k8s
