//go:build windows

package hcn

import (
	"reflect"
	"strings"
	"testing"

	"github.com/Microsoft/hcsshim/hcn"

	"github.com/calico-win/cni/hns"
)

// TestMirrorMatchesHCN checks that each hns mirror type has exactly hcn's
// JSON fields, recursively and with compatible kinds, so that converting
// through JSON loses nothing in either direction.
func TestMirrorMatchesHCN(t *testing.T) {
	for _, tc := range []struct{ ours, theirs any }{
		{hns.Network{}, hcn.HostComputeNetwork{}},
		{hns.Endpoint{}, hcn.HostComputeEndpoint{}},
		{hns.Namespace{}, hcn.HostComputeNamespace{}},
		{hns.Policy{}, hcn.EndpointPolicy{}},
		{hns.Policy{}, hcn.NetworkPolicy{}},
		{hns.Version{}, hcn.Version{}},
	} {
		ours, theirs := reflect.TypeOf(tc.ours), reflect.TypeOf(tc.theirs)
		t.Run(theirs.Name(), func(t *testing.T) {
			for _, d := range mirrorDiffs(ours.Name(), ours, theirs) {
				t.Error(d)
			}
		})
	}
}

func mirrorDiffs(path string, ours, theirs reflect.Type) []string {
	ko, kt := jsonKind(ours), jsonKind(theirs)
	if ko != kt {
		return []string{path + ": " + ours.String() + " is a JSON " + ko + ", hcn's " + theirs.String() + " a JSON " + kt}
	}
	switch ko {
	case "array":
		return mirrorDiffs(path+"[]", ours.Elem(), theirs.Elem())
	case "object":
		if ours.Kind() != reflect.Struct || theirs.Kind() != reflect.Struct {
			return nil // interface or raw JSON on both sides
		}
	default:
		return nil
	}
	fo, ft := jsonFields(ours), jsonFields(theirs)
	var diffs []string
	for name, f := range ft {
		g, ok := fo[name]
		if !ok {
			diffs = append(diffs, path+": no field for hcn's JSON key "+name)
			continue
		}
		diffs = append(diffs, mirrorDiffs(path+"."+name, g.Type, f.Type)...)
	}
	for name := range fo {
		if _, ok := ft[name]; !ok {
			diffs = append(diffs, path+": JSON key "+name+" unknown to hcn")
		}
	}
	return diffs
}

// jsonKind is what a type marshals as: raw JSON and interfaces are
// "object" here (either may hold anything).
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeOf([]byte(nil)) || t.Name() == "RawMessage" || t.Kind() == reflect.Interface {
		return "object"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.Kind().String()
}

func jsonFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f
	}
	return fields
}
