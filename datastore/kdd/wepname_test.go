package kdd

import "testing"

func TestParseWEPName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		want    wepID
		wantErr bool
	}{
		{name: "node1-k8s-pod1-eth0", want: wepID{"node1", "k8s", "pod1", "eth0"}},
		{name: "win--node--5-k8s-iis2--76f8647c6d--6t4dj-eth0", want: wepID{"win-node-5", "k8s", "iis2-76f8647c6d-6t4dj", "eth0"}},
		{name: "a--k8s-k8s-b--k8s-eth0", want: wepID{"a-k8s", "k8s", "b-k8s", "eth0"}},
		{name: "node1-cni-0a1298cf-eth0", wantErr: true}, // not a pod: no such thing on KDD
		{name: "node1-k8s-pod1", wantErr: true},
		{name: "node1-k8s--eth0", wantErr: true},
	} {
		got, err := parseWEPName(tc.name)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseWEPName(%q) = %+v, %v; want %+v (error %v)", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}
