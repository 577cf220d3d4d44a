package kdd

import (
	"net/netip"
	"strings"
	"testing"
)

// The expected values were computed outside Go, with openssl, base32 and
// sha256sum, from libcalico-go's rules (names.CIDRToName,
// blockAffinityClientV1.parseKey, model.hashHostnameForLabel).

func TestBlockName(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.244.1.0/26":   "10-244-1-0-26",
		"fd00:1234::/122": "fd00-1234---122",
	} {
		if got := blockName(netip.MustParsePrefix(cidr)); got != want {
			t.Errorf("blockName(%s) = %q, want %q", cidr, got, want)
		}
	}
}

func TestAffinityName(t *testing.T) {
	h := func(n int) string { return strings.Repeat("h", n) }
	for _, tc := range []struct {
		name, host, cidr, want string
	}{
		{"short", "win-node-1", "10.244.1.0/26", "win-node-1-10-244-1-0-26"},
		{"252 characters: kept", h(238), "10.244.1.0/26", h(238) + "-10-244-1-0-26"},
		{"253 characters: hashed", h(239), "10.244.1.0/26", h(226) + "-10-244-1-0-26-afaf4f7b9f2"},
		{"far too long", h(250), "10.244.1.0/26", h(226) + "-10-244-1-0-26-4b27d8ccedb"},
		{"IPv6", strings.Repeat("a", 300), "fd00:1234::/122", strings.Repeat("a", 224) + "-fd00-1234---122-81912abbcb2"},
	} {
		got := affinityName(tc.host, netip.MustParsePrefix(tc.cidr))
		if got != tc.want {
			t.Errorf("%s: affinityName = %q, want %q", tc.name, got, tc.want)
		}
		if len(got) > 253 {
			t.Errorf("%s: %d characters, more than an object name may have", tc.name, len(got))
		}
	}
}

func TestHostnameHash(t *testing.T) {
	for host, want := range map[string]string{
		"node1":                  "7DS2CCNJGGLTHBDQLLFO6SX24SY2YDDEG3W2VN556FA2W4DLLV5A",
		"win-node-1":             "A2QRHMG6D3ISCVHANSNJ2OYBWKB3CGAPUS25IMJGFDIOUO7WO5MQ",
		"WIN-Node-1.example.com": "SSI4IVGYRE7YAUIKPZGDTMIH2IJAUYDE2ISXJHBEANJZL3E7IZWQ",
	} {
		if got := hostnameHash(host); got != want {
			t.Errorf("hostnameHash(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestHandleName(t *testing.T) {
	if got := handleName("Calico.0A1298CF"); got != "calico.0a1298cf" {
		t.Errorf("handleName = %q", got)
	}
}
