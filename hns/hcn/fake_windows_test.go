//go:build windows && fakehcn

package hcn

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/calico-win/cni/hns"
)

// fakeHNS scripts the fake computenetwork.dll and vmcompute.dll that
// scripts/wine-test.sh installs in its Wine prefix (protocol in
// scripts/wine/fakehcn.h). The fake shares the test process's environment:
// the test writes what HNS will answer, the fake writes what it was asked.
type fakeHNS struct{ t *testing.T }

// newFake returns the real adapter, talking through the real hcn package to
// the fake DLL, with the fake reset. Tests built with -tags fakehcn fail
// rather than skip when the fake is not installed.
func newFake(t *testing.T) (hns.Client, fakeHNS) {
	t.Helper()
	if err := hcnAvailable(); err != nil {
		t.Fatalf("the fake computenetwork.dll is not installed (run scripts/wine-test.sh): %v", err)
	}
	if err := computeNetwork.NewProc("FakeHcnMarker").Find(); err != nil {
		t.Fatalf("computenetwork.dll is the real one, not scripts/wine's fake; -tags fakehcn is for Wine only: %v", err)
	}
	resetFake()
	t.Cleanup(resetFake)
	return New(), fakeHNS{t}
}

func resetFake() {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FAKEHCN_") || strings.HasPrefix(k, "FAKEHNS_") {
			os.Unsetenv(k)
		}
	}
}

func (f fakeHNS) set(k, v string) {
	f.t.Helper()
	if err := os.Setenv(k, v); err != nil {
		f.t.Fatal(err)
	}
}

// fail makes the hcn function fn (HcnOpenNetwork, HNSCall, ...) return hr
// with HNS's ErrorRecord carrying text.
func (f fakeHNS) fail(fn string, hr uint32, text string) {
	f.set("FAKEHCN_FAIL_"+fn, fmt.Sprintf("%x", hr))
	if text != "" {
		f.set("FAKEHCN_TEXT", text)
	}
}

// enumerate sets the IDs every HcnEnumerate* returns.
func (f fakeHNS) enumerate(ids ...string) {
	f.set("FAKEHCN_ENUM", mustJSON(f.t, ids))
}

// properties sets the object every HcnQuery*Properties returns.
func (f fakeHNS) properties(v any) {
	f.set("FAKEHCN_PROPS", mustJSON(f.t, v))
}

func (f fakeHNS) clearCalls() { os.Unsetenv("FAKEHCN_CALLS") }

// calls returns the hcn functions called since the last reset.
func (f fakeHNS) calls() string { return os.Getenv("FAKEHCN_CALLS") }

// arg returns the last JSON argument (or object GUID) fn received.
func (f fakeHNS) arg(fn string) string { return os.Getenv("FAKEHCN_ARG_" + fn) }

// filter returns the query filter the last call of fn sent.
func (f fakeHNS) filter(fn string) map[string]string {
	f.t.Helper()
	var q struct {
		SchemaVersion struct{ Major, Minor int }
		Filter        string
	}
	if err := json.Unmarshal([]byte(f.arg(fn)), &q); err != nil {
		f.t.Fatalf("%s query %q: %v", fn, f.arg(fn), err)
	}
	if q.SchemaVersion.Major != 2 {
		f.t.Errorf("%s query schema %+v, want 2.0", fn, q.SchemaVersion)
	}
	m := map[string]string{}
	if q.Filter != "" {
		if err := json.Unmarshal([]byte(q.Filter), &m); err != nil {
			f.t.Fatalf("%s filter %q: %v", fn, q.Filter, err)
		}
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
