//go:build windows

package statedir

import (
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

const othersReason = "Everyone"

// addACE adds an allow ACE to path's DACL: under Wine, which keeps no
// security descriptor of its own, this sets the Unix mode bits it maps to.
func addACE(t *testing.T, path, ace string) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	sd, err = windows.SecurityDescriptorFromString(sd.String() + ace)
	if err != nil {
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

// openToOthers grants Everyone the right to write path.
func openToOthers(t *testing.T, path string, dir bool) {
	t.Helper()
	addACE(t, path, "(A;;FW;;;WD)")
}

// The SDDL the package writes says what it means.
func TestPrivateSDDL(t *testing.T) {
	for _, sddl := range []string{privateDirSDDL, privateFileSDDL} {
		sd, err := windows.SecurityDescriptorFromString(sddl)
		if err != nil {
			t.Fatal(err)
		}
		ctl, _, err := sd.Control()
		if err != nil || ctl&windows.SE_DACL_PROTECTED == 0 {
			t.Errorf("%s: control %#x, %v; want a protected DACL", sddl, ctl, err)
		}
		p, err := inspect(sd, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.others) != 0 {
			t.Errorf("%s grants others: %s", sddl, p)
		}
	}
}

// What the package writes reads back (through GetNamedSecurityInfo) with no
// ACE for any principal but the trusted ones.
func TestCreatedDACLReadsBack(t *testing.T) {
	dir := stateDir(t)
	file := dir + `\hint`
	if err := WriteFile(file, []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, file} {
		sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, securityInfo)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", path, sd)
		for _, other := range []string{";WD)", ";BU)", ";AU)"} {
			if strings.Contains(sd.String(), other) {
				t.Errorf("%s grants %s: %s", path, other, sd)
			}
		}
	}
}

// Reading is enough to hold a LockFileEx lock: a lock others may read is
// not trusted, a cache they may read is.
func TestEveryoneMayReadOnlyALock(t *testing.T) {
	dir := stateDir(t)
	lock, file := dir+`\ipam.lock`, dir+`\hint`
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(file, []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{lock, file} {
		addACE(t, path, "(A;;FR;;;WD)")
	}
	if p, err := inspectPath(lock, true); err != nil || p.ok() || !strings.Contains(p.String(), "Everyone (S-1-1-0) may read") {
		t.Errorf("lock that Everyone may read: %q, %v", p, err)
	}
	if _, err := ReadFile(file); err != nil {
		t.Errorf("cache that Everyone may read: %v", err)
	}
	if err := PrepareLock(lock); err != nil {
		t.Fatal(err)
	}
	wantTrusted(t, lock, true)
}
