//go:build windows && fakehcn

package hcn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// HostNamespace finds the HostDefault namespace HNS lists, and creates one
// (Type HostDefault, schema 2.0) only when HNS lists none.
func TestFakeHostNamespace(t *testing.T) {
	c, f := newFake(t)
	f.enumerate(strings.ToLower(nsID))
	f.properties(hns.Namespace{Id: nsID, Type: hns.NamespaceHostDefault, NamespaceId: 1})
	ns, err := c.HostNamespace(ctx)
	if err != nil || ns.Id != nsID || ns.Type != hns.NamespaceHostDefault {
		t.Fatalf("HostNamespace = %+v, %v", ns, err)
	}
	if strings.Contains(f.calls(), "HcnCreateNamespace") {
		t.Errorf("created a namespace although HNS lists one: %s", f.calls())
	}

	f.clearCalls()
	f.properties(hns.Namespace{Id: nsID, Type: "Host"}) // a pod's namespace only
	if _, err := c.HostNamespace(ctx); err != nil {
		t.Fatalf("HostNamespace with none listed: %v", err)
	}
	if !strings.Contains(f.calls(), "HcnCreateNamespace") {
		t.Fatalf("no namespace created: %s", f.calls())
	}
	var req struct {
		Type          string
		SchemaVersion struct{ Major, Minor int }
	}
	if err := json.Unmarshal([]byte(f.arg("HcnCreateNamespace")), &req); err != nil || req.Type != hns.NamespaceHostDefault || req.SchemaVersion.Major != 2 {
		t.Errorf("create request %s (%v)", f.arg("HcnCreateNamespace"), err)
	}
}
