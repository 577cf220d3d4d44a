package k8s

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/calico-win/cni/datastore"
)

// TestStatusFailureClasses pins which sentinel each API answer matches; the
// answers themselves are checked against a real server in
// TestErrorsIntegration.
func TestStatusFailureClasses(t *testing.T) {
	for _, tc := range []struct {
		code int
		body string
		want error
	}{
		{404, `{"kind":"Status","reason":"NotFound","message":"pods \"p\" not found","code":404}`, datastore.ErrNotFound},
		{409, `{"kind":"Status","reason":"AlreadyExists","code":409}`, datastore.ErrExists},
		{409, `{"kind":"Status","reason":"Conflict","code":409}`, datastore.ErrConflict},
		{401, `{"kind":"Status","reason":"Unauthorized","message":"Unauthorized","code":401}`, datastore.ErrUnauthorized},
		{403, `{"kind":"Status","reason":"Forbidden","code":403}`, datastore.ErrUnauthorized},
		{429, `{"kind":"Status","reason":"TooManyRequests","code":429}`, datastore.ErrUnavailable},
		{503, `{"kind":"Status","reason":"ServiceUnavailable","code":503}`, datastore.ErrUnavailable},
		{422, `{"kind":"Status","reason":"Invalid","code":422}`, nil},
		{404, `404 page not found`, nil}, // no such resource type: not a missing object
	} {
		err := statusFailure(request{verb: "get", path: "/x"}, tc.code, []byte(tc.body))
		for _, s := range []error{datastore.ErrNotFound, datastore.ErrExists, datastore.ErrConflict, datastore.ErrUnauthorized, datastore.ErrUnavailable} {
			if got := errors.Is(err, s); got != (s == tc.want) {
				t.Errorf("%d %s: errors.Is(%v) = %v", tc.code, tc.body, s, got)
			}
		}
	}
}

func TestParseForbidden(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want *Permission
	}{
		{`pods "p1" is forbidden: User "system:serviceaccount:kube-system:calico-cni-plugin" cannot patch resource "pods/status" in API group "" in the namespace "default"`,
			&Permission{User: "system:serviceaccount:kube-system:calico-cni-plugin", Verb: "patch", Resource: "pods/status", Namespace: "default"}},
		{`blockaffinities.crd.projectcalico.org is forbidden: User "system:serviceaccount:kube-system:x" cannot list resource "blockaffinities" in API group "crd.projectcalico.org" at the cluster scope`,
			&Permission{User: "system:serviceaccount:kube-system:x", Verb: "list", Resource: "blockaffinities", Group: "crd.projectcalico.org"}},
		{`something else entirely`, nil},
	} {
		if got := parseForbidden(tc.msg); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseForbidden(%q) = %+v, want %+v", tc.msg, got, tc.want)
		}
	}
	e := statusFailure(request{verb: "list", path: "/apis/crd.projectcalico.org/v1/blockaffinities"}, http.StatusForbidden,
		[]byte(`{"kind":"Status","reason":"Forbidden","message":"blockaffinities.crd.projectcalico.org is forbidden: User \"u\" cannot list resource \"blockaffinities\" in API group \"crd.projectcalico.org\" at the cluster scope"}`))
	want := `the Kubernetes API denied u permission to list blockaffinities.crd.projectcalico.org (403 Forbidden): ` +
		`the calico-cni-plugin ClusterRole bound to it must grant "list" on "blockaffinities.crd.projectcalico.org"`
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e, want)
	}
}
