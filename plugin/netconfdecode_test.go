package plugin

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestNetConfFieldsListEveryField: a field added to NetConf and not to
// netConfFields would be silently ignored.
func TestNetConfFieldsListEveryField(t *testing.T) {
	listed := map[string]bool{}
	var nc NetConf
	for _, f := range netConfFields {
		listed[f.key] = true
		// The pointer the entry gives is the field of that key.
		p := reflect.ValueOf(f.field(&nc)).Pointer()
		found := false
		for i, st := 0, reflect.TypeOf(nc); i < st.NumField(); i++ {
			if name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ","); name == f.key {
				found = reflect.ValueOf(&nc).Elem().Field(i).Addr().Pointer() == p
			}
		}
		if !found {
			t.Errorf("netConfFields[%q] is not the NetConf field of that key", f.key)
		}
	}
	st := reflect.TypeOf(nc)
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Errorf("NetConf.%s has no JSON name", st.Field(i).Name)
		} else if !listed[name] {
			t.Errorf("NetConf.%s (%q) is missing from netConfFields", st.Field(i).Name, name)
		}
	}
}

// sameNetConf fails unless decodeNetConf gives json.Unmarshal's result and
// error.
func sameNetConf(t *testing.T, b []byte) {
	t.Helper()
	var want, got NetConf
	werr := json.Unmarshal(b, &want)
	gerr := decodeNetConf(b, &got)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(want, got) {
		t.Fatalf("decoding %s\n got %+v, %v\nwant %+v, %v", b, got, gerr, want, werr)
	}
}

// TestDecodeNetConfIsJSONUnmarshal: on the configurations of the tests and
// of the fuzz corpus, and on configurations bent at random (keys in other
// case or given twice, values of other types, nulls, unknown keys, escaped
// keys, white space, syntax errors), the field-by-field decoding gives
// exactly what json.Unmarshal gives.
func TestDecodeNetConfIsJSONUnmarshal(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/FuzzParseNetConf/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The corpus files hold Go-quoted []byte("...") lines.
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				var s string
				if _, err := fmt.Sscanf(strings.TrimSuffix(q, ")"), "%q", &s); err == nil {
					sameNetConf(t, []byte(s))
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 5000 {
		sameNetConf(t, []byte(randomNetConf(r)))
	}
}

func randomNetConf(r *rand.Rand) string {
	values := []string{`"vxlan"`, `"x"`, `""`, `4096`, `-1`, `1.5`, `true`, `false`, `null`, `[]`, `["a","b"]`, `{}`,
		`{"type":"calico-ipam","assign_ipv4":"true","ipv4_pools":["p"]}`, `{"nameservers":["10.96.0.10"],"search":["svc"]}`,
		`[{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT"}}]`, `{"dns":{"servers":["1.1.1.1"]}}`,
		`[{"containerID":"c","ifname":"eth0"}]`, `{"type":"k8s","k8s_api_root":"https://x"}`, `"a\"b\u00e9"`, `{"a":[1,{"b":"}"}]}`}
	keys := make([]string, 0, len(netConfFields)+4)
	for _, f := range netConfFields {
		keys = append(keys, f.key)
	}
	keys = append(keys, "unknown", "other_key", "cni.dev/x")
	var parts []string
	for range r.IntN(12) {
		k := keys[r.IntN(len(keys))]
		switch r.IntN(25) {
		case 0:
			k = strings.ToUpper(k)
		case 1:
			k = strings.Replace(k, "s", "ſ", 1)
		case 2:
			k = strings.Replace(k, "_", `\u005f`, 1)
		}
		ws := []string{"", " ", "\n\t"}[r.IntN(3)]
		parts = append(parts, ws+`"`+k+`"`+ws+":"+ws+values[r.IntN(len(values))])
	}
	s := "{" + strings.Join(parts, ",") + "}"
	switch r.IntN(40) {
	case 0:
		s = s[:r.IntN(len(s)+1)]
	case 1:
		s = "null"
	case 2:
		s += "]"
	}
	return s
}
