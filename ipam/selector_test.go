package ipam

import "testing"

func TestSelector(t *testing.T) {
	labels := map[string]string{"kubernetes.io/os": "windows", "zone": "eu-1", "gpu": ""}
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"all()", true},
		{"has(gpu)", true},
		{"!has(gpu)", false},
		{"has(missing)", false},
		{"kubernetes.io/os == 'windows'", true},
		{`kubernetes.io/os == "linux"`, false},
		{"kubernetes.io/os != 'linux'", true},
		{"missing != 'x'", true},
		{"zone in {'eu-1', 'eu-2'}", true},
		{"zone not in {'eu-1'}", false},
		{"missing not in {'eu-1'}", true},
		{"zone starts with 'eu'", true},
		{"zone ends with '-2'", false},
		{"zone contains 'u-'", true},
		{"has(gpu) && zone == 'eu-2' || kubernetes.io/os == 'windows'", true},
		{"has(gpu) && (zone == 'eu-2' || kubernetes.io/os == 'linux')", false},
		{"!(zone == 'eu-2')", true},
	} {
		s, err := parseSelector(tc.sel)
		if err != nil {
			t.Fatalf("%q: %v", tc.sel, err)
		}
		if got := s(labels); got != tc.want {
			t.Errorf("%q = %v, want %v", tc.sel, got, tc.want)
		}
	}
	for _, bad := range []string{"zone ==", "has(", "zone = 'x'", "(all()", "zone in {'a'"} {
		if _, err := parseSelector(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}
