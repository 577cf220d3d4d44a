package plugin

import (
	"fmt"
	"os"
	"strings"

	"github.com/calico-win/cni/datastore"
	etcdstore "github.com/calico-win/cni/datastore/etcd"
	"github.com/calico-win/cni/datastore/kdd"
)

// datastoreKind is a datastore_type: the one place that knows the names and
// Calico's rule for choosing.
type datastoreKind string

const (
	datastoreEtcd       datastoreKind = "etcdv3"
	datastoreKubernetes datastoreKind = "kubernetes"
)

// validDatastoreType reports whether datastore_type names a datastore (or
// is empty: then datastoreOf chooses).
func validDatastoreType(s string) bool {
	switch datastoreKind(strings.ToLower(s)) {
	case "", datastoreEtcd, datastoreKubernetes:
		return true
	}
	return false
}

// datastoreOf is Calico's choice of datastore: datastore_type, else
// $DATASTORE_TYPE, else etcdv3 when etcd endpoints are set, else kubernetes.
func datastoreOf(nc *NetConf) datastoreKind {
	typ := strings.ToLower(nc.DatastoreType)
	if typ == "" {
		typ = strings.ToLower(os.Getenv("DATASTORE_TYPE"))
	}
	if typ == "" {
		if nc.EtcdEndpoints != "" || os.Getenv("ETCD_ENDPOINTS") != "" {
			return datastoreEtcd
		}
		return datastoreKubernetes
	}
	return datastoreKind(typ)
}

// openStore opens the datastore the netconf names.
func openStore(nc *NetConf) (datastore.Store, error) {
	if datastoreOf(nc) == datastoreEtcd {
		return openEtcd(nc)
	}
	return openKDD(nc)
}

// openEtcd opens the etcd backend. A TLS file that is missing or unreadable
// is "try again later": at node start the certificates are often not mounted
// yet. A file that is there but malformed, or a malformed endpoint, is a
// configuration error naming the key.
func openEtcd(nc *NetConf) (datastore.Store, error) {
	eps := nc.EtcdEndpoints
	if eps == "" {
		eps = os.Getenv("ETCD_ENDPOINTS")
	}
	if eps == "" {
		return nil, &ConfigError{Key: "etcd_endpoints", Reason: "required with datastore_type etcdv3"}
	}
	list, err := etcdEndpoints(eps)
	if err != nil {
		return nil, err
	}
	files := []struct{ key, path string }{
		{"etcd_ca_cert_file", nc.EtcdCACertFile}, {"etcd_cert_file", nc.EtcdCertFile}, {"etcd_key_file", nc.EtcdKeyFile}}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			return nil, fmt.Errorf("%w: %s %s cannot be read yet (%v): check that the certificates are mounted",
				datastore.ErrUnavailable, f.key, f.path, err)
		}
	}
	if (nc.EtcdCertFile == "") != (nc.EtcdKeyFile == "") {
		return nil, &ConfigError{Key: "etcd_cert_file/etcd_key_file", Reason: "set both or neither"}
	}
	s, err := etcdstore.New(etcdstore.Config{
		Endpoints: list, CAFile: nc.EtcdCACertFile, CertFile: nc.EtcdCertFile, KeyFile: nc.EtcdKeyFile,
		Timeout: datastoreTimeout, SessionCache: stateFile(nc, "etcd-tls-session"),
	})
	if err != nil {
		// Never return s: a nil *etcd.Store inside the interface is not nil.
		return nil, &ConfigError{Key: "etcd_ca_cert_file/etcd_cert_file/etcd_key_file", Reason: err.Error()}
	}
	return s, nil
}

// openKDD opens the Kubernetes datastore. It reads the kubeconfig (a
// ConfigError if it cannot be used) but does not contact the server.
// calico_api_group (or CALICO_API_GROUP) names Calico's API group; unset,
// the group is discovered as Calico does, and the answer kept on the node
// (see knownAPIGroup), so that only the first call pays for the discovery.
func openKDD(nc *NetConf) (datastore.Store, error) {
	group := nc.CalicoAPIGroup
	if group == "" {
		group = os.Getenv("CALICO_API_GROUP")
	}
	g, err := kdd.ParseAPIGroup(group)
	if err != nil {
		return nil, &ConfigError{Key: "calico_api_group", Value: group, Reason: kdd.ErrUnknownAPIGroup.Error()}
	}
	c, err := kubeClient(nc)
	if err != nil {
		return nil, err
	}
	if g != nil {
		return kdd.NewInGroup(c, g), nil
	}
	return kdd.NewDiscovering(c, knownAPIGroup(nc, c.Server())), nil
}

// usesKubeAPI reports whether the netconf reaches a Kubernetes API server:
// the Kubernetes datastore, or a kubeconfig or API root beside etcd.
func usesKubeAPI(nc *NetConf) bool {
	return datastoreOf(nc) == datastoreKubernetes || nc.Kubernetes.Kubeconfig != "" ||
		nc.Kubernetes.K8sAPIRoot != "" || nc.Policy.K8sAPIRoot != ""
}
