package kastest

import (
	"os"
	"strings"
)

// CRDSet says which of Calico's CRD sets a server has installed: which API
// group holds Calico's resources.
type CRDSet int

const (
	// CRDsV1 is the crd.projectcalico.org/v1 set (Calico's default, and
	// with its aggregated API server): the default.
	CRDsV1 CRDSet = iota
	// CRDsV3 is the projectcalico.org/v3 set of a Calico v3.32+ cluster
	// installed without the aggregated API server.
	CRDsV3
	// CRDsBoth installs both sets (a cluster part way through a migration);
	// Calico then uses crd.projectcalico.org/v1, and the seeding does too.
	CRDsBoth
)

func (c CRDSet) String() string {
	switch c {
	case CRDsV3:
		return "v3"
	case CRDsBoth:
		return "both"
	}
	return "v1"
}

// CRD manifests, relative to the module root. $CALICO_CRDS overrides the v1
// file and $CALICO_CRDS_V3 the v3 one.
const (
	CRDFile   = "testdata/crds/calico-crds.yaml"
	CRDFileV3 = "testdata/crds/calico-crds-v3.yaml"
)

func (c CRDSet) files() []string {
	v1 := envOr("CALICO_CRDS", CRDFile)
	v3 := envOr("CALICO_CRDS_V3", CRDFileV3)
	switch c {
	case CRDsV3:
		return []string{v3}
	case CRDsBoth:
		return []string{v1, v3}
	}
	return []string{v1}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// apiGroup is where the seeding writes Calico's objects on a server with
// this set: Calico's choice of group, with the one kind whose name differs.
type apiGroup struct {
	apiVersion       string // group/version
	ipamConfigKind   string
	ipamConfigPlural string
}

var (
	groupV1 = apiGroup{"crd.projectcalico.org/v1", "IPAMConfig", "ipamconfigs"}
	groupV3 = apiGroup{"projectcalico.org/v3", "IPAMConfiguration", "ipamconfigurations"}
)

func (c CRDSet) seedGroup() apiGroup {
	if c == CRDsV3 {
		return groupV3
	}
	return groupV1
}

// groups are the API groups whose Calico objects Wipe deletes.
func (c CRDSet) groups() []apiGroup {
	switch c {
	case CRDsV3:
		return []apiGroup{groupV3}
	case CRDsBoth:
		return []apiGroup{groupV1, groupV3}
	}
	return []apiGroup{groupV1}
}

func (g apiGroup) path(plural, name string) string {
	p := "/apis/" + g.apiVersion + "/" + plural
	if name != "" {
		p += "/" + name
	}
	return p
}

// plural maps the v1 plural a test names to this group's.
func (g apiGroup) plural(p string) string {
	if p == groupV1.ipamConfigPlural || p == groupV3.ipamConfigPlural {
		return g.ipamConfigPlural
	}
	return p
}

// CRDs is the set the server was started with.
func (s *Server) CRDs() CRDSet { return s.crds }

// CalicoAPIVersion is the group/version Calico uses on this server
// (projectcalico.org/v3 with CRDsV3, else crd.projectcalico.org/v1).
func (s *Server) CalicoAPIVersion() string { return s.crds.seedGroup().apiVersion }

// CalicoPath is the API path of a Calico custom resource in the group Calico
// uses on this server (name "" for the collection). plural is the v1 name;
// "ipamconfigs" becomes "ipamconfigurations" on v3.
func (s *Server) CalicoPath(plural, name string) string {
	g := s.crds.seedGroup()
	return g.path(g.plural(plural), name)
}

// CalicoGroupName is the group of the set's seeding group, without version.
func (s *Server) CalicoGroupName() string {
	g, _, _ := strings.Cut(s.CalicoAPIVersion(), "/")
	return g
}
