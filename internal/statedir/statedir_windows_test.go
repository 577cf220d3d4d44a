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

// The DACL check on security descriptors as Windows hands them out; this
// covers what Wine cannot show through files (other owners, inherited ACEs,
// deny ACEs, a NULL DACL).
func TestInspectSecurityDescriptors(t *testing.T) {
	for _, tc := range []struct {
		name, sddl string
		lock       bool
		want       []string // in the problem, in order; none: trusted
	}{
		{"ours", "O:SY" + privateDirSDDL, true, nil},
		{"ours owned by Administrators", "O:BA" + privateFileSDDL, true, nil},
		// c:\CalicoWindows as Calico's installers leave it on Windows Server:
		// inherited from C:\, Users may add files and subdirectories.
		{"Windows Server C:\\ subdirectory", "O:BAD:AI(A;OICIIOID;FA;;;CO)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)" +
			"(A;OICIID;0x1200a9;;;BU)(A;CIID;0x4;;;BU)(A;CIID;0x2;;;BU)", false,
			[]string{`BUILTIN\Users (S-1-5-32-545) may append data or add subdirectories`, `BUILTIN\Users (S-1-5-32-545) may write data or add files`}},
		// ... and on Windows client: Authenticated Users may modify.
		{"Windows client C:\\ subdirectory", "O:BAD:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;0x1200a9;;;BU)" +
			"(A;OICIID;0x1301bf;;;AU)", false, []string{"S-1-5-11", "may write data or add files, append data or add subdirectories, delete, write attributes, write extended attributes"}},
		{"Users may read a cache", "O:SYD:P(A;;FA;;;SY)(A;;0x1200a9;;;BU)", false, nil},
		{"Users may read a lock", "O:SYD:P(A;;FA;;;SY)(A;;0x1200a9;;;BU)", true, []string{"may read (and so hold the lock)"}},
		{"generic write", "O:SYD:P(A;;FA;;;SY)(A;;GW;;;WD)", false, []string{"S-1-1-0", "may write"}},
		{"change permissions", "O:SYD:P(A;;FA;;;SY)(A;;WD;;;IU)", false, []string{"S-1-5-4", "may change permissions"}},
		{"take ownership", "O:SYD:P(A;;FA;;;SY)(A;;WO;;;BU)", false, []string{"may take ownership"}},
		{"delete entries", "O:SYD:P(A;;FA;;;SY)(A;;0x40;;;BU)", false, []string{"may delete entries"}},
		{"inherit-only ACEs do not apply to the directory", "O:SYD:P(A;;FA;;;SY)(A;OICIIO;FA;;;WD)", true, nil},
		{"deny ACEs are not weighed", "O:SYD:P(D;;FA;;;WD)(A;;FA;;;SY)(A;;FW;;;WD)", false, []string{"S-1-1-0"}},
		{"owner rights of a trusted owner", "O:SYD:P(A;;FA;;;SY)(A;;FA;;;OW)", true, nil},
		{"owned by Users", "O:BUD:P(A;;FA;;;SY)(A;;FA;;;BA)", false, []string{"owned by ", "S-1-5-32-545"}},
		{"owner rights of an untrusted owner", "O:BUD:P(A;;FA;;;SY)(A;;FA;;;OW)", false, []string{"owned by ", "S-1-3-4", "may have full control"}},
		{"full control", "O:SYD:P(A;;FA;;;SY)(A;;GA;;;BU)", false, []string{"S-1-5-32-545", "may have full control"}},
		{"NULL DACL", "", false, []string{"no DACL"}},
		{"no DACL", "O:SY", false, []string{"no DACL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := securityDescriptor(tc.sddl)
			if err != nil {
				t.Fatal(err)
			}
			p, err := inspect(sd, tc.lock)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 {
				if !p.ok() {
					t.Errorf("not trusted: %s", p)
				}
				return
			}
			rest := p.String()
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("problem %q lacks %q (in order)", p, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// securityDescriptor parses sddl; "" is one owned by SYSTEM with a NULL
// DACL (everyone has full control), which Wine's SDDL parser cannot make:
// it reads D:NO_ACCESS_CONTROL as an empty DACL.
func securityDescriptor(sddl string) (*windows.SECURITY_DESCRIPTOR, error) {
	if sddl != "" {
		return windows.SecurityDescriptorFromString(sddl)
	}
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		return nil, err
	}
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return nil, err
	}
	if err := sd.SetOwner(system, false); err != nil {
		return nil, err
	}
	return sd, sd.SetDACL(nil, true, false)
}
