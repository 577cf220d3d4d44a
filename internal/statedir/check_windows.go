//go:build windows

package statedir

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Access rights that let a principal change an object (or, for a
// directory, its entries), and those that let it open a file at all, which
// is enough to hold a LockFileEx lock.
const (
	changeRights = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.FILE_WRITE_EA |
		fileDeleteChild | windows.FILE_WRITE_ATTRIBUTES | windows.DELETE | windows.WRITE_DAC |
		windows.WRITE_OWNER | windows.GENERIC_WRITE | windows.GENERIC_ALL
	openRights = windows.FILE_READ_DATA | windows.GENERIC_READ
)

var rightNames = []struct {
	mask windows.ACCESS_MASK
	name string
}{
	{windows.GENERIC_WRITE, "write"},
	{windows.FILE_WRITE_DATA, "write data or add files"},
	{windows.FILE_APPEND_DATA, "append data or add subdirectories"},
	{fileDeleteChild, "delete entries"},
	{windows.DELETE, "delete"},
	{windows.WRITE_DAC, "change permissions"},
	{windows.WRITE_OWNER, "take ownership"},
	{windows.FILE_WRITE_ATTRIBUTES, "write attributes"},
	{windows.FILE_WRITE_EA, "write extended attributes"},
	{windows.GENERIC_READ, "read (and so hold the lock)"},
	{windows.FILE_READ_DATA, "read (and so hold the lock)"},
}

// winnt.h values that x/sys does not name.
const (
	fileDeleteChild = 0x40
	fileAllAccess   = 0x1f01ff

	aceAllowedCompound       = 4
	aceAllowedObject         = 5
	aceAllowedCallback       = 9
	aceAllowedCallbackObject = 11
)

var trustedSIDs = sync.OnceValues(func() ([]*windows.SID, error) {
	var sids []*windows.SID
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid} {
		s, err := windows.CreateWellKnownSid(t)
		if err != nil {
			return nil, err
		}
		sids = append(sids, s)
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	user, err := u.User.Sid.Copy()
	if err != nil {
		return nil, err
	}
	return append(sids, user), nil
})

func trusted(sid *windows.SID) (bool, error) {
	sids, err := trustedSIDs()
	if err != nil {
		return false, fmt.Errorf("looking up the trusted SIDs: %w", err)
	}
	for _, s := range sids {
		if s.Equals(sid) {
			return true, nil
		}
	}
	return false, nil
}

const securityInfo = windows.OWNER_SECURITY_INFORMATION | windows.DACL_SECURITY_INFORMATION

func inspectPath(path string, lock bool) (problem, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, securityInfo)
	if err != nil {
		return problem{}, &os.PathError{Op: "GetNamedSecurityInfo", Path: path, Err: err}
	}
	return inspect(sd, lock)
}

// inspectLink: a junction or symbolic link is followed, its own owner and
// DACL not checked (Wine, where the tests run, cannot open reparse points).
func inspectLink(string) (problem, error) { return problem{}, nil }

func inspectFile(f *os.File) (problem, error) {
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_FILE_OBJECT, securityInfo)
	if err != nil {
		return problem{}, &os.PathError{Op: "GetSecurityInfo", Path: f.Name(), Err: err}
	}
	return inspect(sd, false)
}

// inspect reads the owner and the DACL. The owner may always change the
// DACL, so it must be trusted. Every allow ACE that applies to the object
// itself (not inherit-only) and names another principal must grant none of
// changeRights (and, for a lock, openRights). Deny ACEs are not weighed
// against allow ACEs: a DACL that needs them to be safe is refused, which is
// stricter than Windows' access check, never looser.
func inspect(sd *windows.SECURITY_DESCRIPTOR, lock bool) (problem, error) {
	var p problem
	owner, _, err := sd.Owner()
	if err != nil {
		return p, err
	}
	if ok, err := trusted(owner); err != nil {
		return p, err
	} else if !ok {
		p.owner = accountName(owner)
	}
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || (err == nil && dacl == nil) {
		p.others = append(p.others, "it has no DACL, so everyone may change it")
		return p, nil
	} else if err != nil {
		return p, err
	}
	forbidden := windows.ACCESS_MASK(changeRights)
	if lock {
		forbidden |= openRights
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return p, fmt.Errorf("reading ACE %d: %w", i, err)
		}
		if ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 {
			continue
		}
		switch ace.Header.AceType {
		case windows.ACCESS_ALLOWED_ACE_TYPE, aceAllowedCallback:
		case aceAllowedCompound, aceAllowedObject, aceAllowedCallbackObject:
			p.others = append(p.others, fmt.Sprintf("it has an allow ACE of type %d, which this check does not read", ace.Header.AceType))
			continue
		default: // deny and other ACEs grant nothing
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if ok, err := trusted(sid); err != nil {
			return p, err
		} else if ok || (sid.IsWellKnown(windows.WinCreatorOwnerRightsSid) && p.owner == "") {
			continue // OWNER RIGHTS: the owner, already checked
		}
		if m := ace.Mask & forbidden; m != 0 {
			p.others = append(p.others, accountName(sid)+" may "+rights(ace.Mask, m))
		}
	}
	return p, nil
}

// rights names the forbidden rights m of an ACE's mask.
func rights(mask, m windows.ACCESS_MASK) string {
	if mask&windows.GENERIC_ALL != 0 || mask&fileAllAccess == fileAllAccess {
		return "have full control"
	}
	var names []string
	for _, r := range rightNames {
		if m&r.mask != 0 && (len(names) == 0 || names[len(names)-1] != r.name) {
			names = append(names, r.name)
		}
	}
	return strings.Join(names, ", ")
}

// accountName is DOMAIN\name with the SID, or the SID alone.
func accountName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil || account == "":
		return sid.String()
	case domain != "":
		return domain + `\` + account + " (" + sid.String() + ")"
	}
	return account + " (" + sid.String() + ")"
}
