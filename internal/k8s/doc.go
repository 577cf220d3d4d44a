// Package k8s is the plugin's lean client of the Kubernetes API: loading a
// kubeconfig with Calico's netconf overrides, and the few requests a CNI
// process makes (GET of a pod, namespace or node, a strategic-merge PATCH of
// pods/status, and get/list/create/update/delete of Calico's custom
// resources with preconditions). Objects are plain JSON structs holding only
// the fields the plugin reads.
//
// Every CNI call is a new process, so start-up cost matters more than
// anything a typed client offers: it uses k8s.io/client-go's clientcmd and
// rest (kubeconfig, credentials, TLS) and nothing else, and it can keep the
// TLS session in a file for the next process to resume (Config.SessionCache,
// internal/tlssession). It must not import
// k8s.io/client-go/kubernetes, k8s.io/api or any scheme, nor the datastore
// backends, ipam or plugin; of datastore it uses only the sentinel errors.
package k8s
