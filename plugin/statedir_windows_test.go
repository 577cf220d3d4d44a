//go:build windows

package plugin

import (
	"errors"
	"github.com/calico-win/cni/ipam"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/calico-win/cni/internal/testdir"
)

// grantEveryoneWrite adds an ACE that lets Everyone write path (under Wine,
// the Unix mode bits it maps to).
func grantEveryoneWrite(t *testing.T, path string) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	if sd, err = windows.SecurityDescriptorFromString(sd.String() + "(A;;FW;;;WD)"); err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
}

// A state directory or file that Everyone may write: the operator's
// directory fails the call with code 7, the plugin's own is restricted, and
// a cache or hint is not used.
func TestWindowsStateDirectory(t *testing.T) {
	dir := filepath.Join(testdir.New(t), "state")
	nc := &NetConf{Name: "Calico", IPAMLockFile: filepath.Join(dir, "ipam.lock")}
	if err := prepareState(nc); err != nil {
		t.Fatal(err)
	}
	h := newFileHint(nc, "win-1")
	block := netip.MustParsePrefix("10.1.2.0/26")
	h.Store(ipam.Hint{CIDR: block})
	if got := h.Load().CIDR; got != block {
		t.Fatalf("hint = %v", got)
	}
	grantEveryoneWrite(t, h.path)
	if got := h.Load().CIDR; got.IsValid() {
		t.Errorf("a hint that Everyone may write was used: %v", got)
	}

	grantEveryoneWrite(t, dir)
	err := prepareState(nc)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "ipam_lock_file" || !strings.Contains(err.Error(), "Everyone") || toCNIError(err).Code != 7 {
		t.Fatalf("got %v, want code 7 naming ipam_lock_file and Everyone", err)
	}
	t.Log(err)
	if err := prepareStateAt(nc.IPAMLockFile, true); err != nil {
		t.Fatalf("the plugin's own directory was not restricted: %v", err)
	}
	if err := prepareState(nc); err != nil {
		t.Fatalf("after restricting: %v", err)
	}
}
