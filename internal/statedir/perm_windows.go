//go:build windows

package statedir

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Trusted names who may change the state: SYSTEM (kubelet and containerd
// run the plugin as SYSTEM) and Administrators. The plugin's own user is
// trusted too (an administrator who runs it by hand, a test).
const Trusted = "SYSTEM and Administrators"

// The private DACLs: protected, so nothing is inherited from C:\ (which on a
// default install lets Users add files to its subdirectories), and full
// control for SYSTEM and Administrators only. The owner is left to the
// token's default: SYSTEM, or Administrators for an elevated administrator.
const (
	privateDirSDDL  = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	privateFileSDDL = "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
)

func securityAttributes(sddl string) (*windows.SecurityAttributes, error) {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, err
	}
	return &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}, nil
}

// fix is the PowerShell command that makes path private: owner
// Administrators and exactly the private DACL.
func fix(path string, dir bool) string {
	sddl := privateFileSDDL
	if dir {
		sddl = privateDirSDDL
	}
	return fmt.Sprintf(`PowerShell: $a = Get-Acl '%s'; $a.SetSecurityDescriptorSddlForm('O:BA%s'); Set-Acl '%s' $a`, path, sddl, path)
}

func mkdirPrivate(dir string) error {
	sa, err := securityAttributes(privateDirSDDL)
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	if err := windows.CreateDirectory(p, sa); err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}

func createPrivate(path string) (*os.File, error) {
	sa, err := securityAttributes(privateFileSDDL)
	if err != nil {
		return nil, err
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, sa, windows.CREATE_NEW,
		windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

func makePrivate(path string, dir bool) error {
	sddl := privateFileSDDL
	if dir {
		sddl = privateDirSDDL
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
