//go:build !windows

package statedir

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Trusted names who may change the state: the plugin's effective user (root
// on a node) and root.
var Trusted = func() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return fmt.Sprintf("root and the plugin's user (uid %d)", os.Geteuid())
}()

// fix is the command that makes path private.
func fix(path string, dir bool) string {
	mode := "600"
	if dir {
		mode = "700"
	}
	return fmt.Sprintf("chown %d %q && chmod %s %q", os.Geteuid(), path, mode, path)
}

func mkdirPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700) // mode bits the umask kept apart, none are added
}

func createPrivate(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}

func makePrivate(path string, dir bool) error {
	if dir {
		return os.Chmod(path, 0o700)
	}
	return os.Chmod(path, 0o600)
}

func inspectPath(path string, lock bool) (problem, error) {
	st, err := os.Stat(path)
	if err != nil {
		return problem{}, err
	}
	return inspect(st, lock), nil
}

// inspectLink checks the owner of path itself when it is a symbolic link.
func inspectLink(path string) (problem, error) {
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return problem{}, err
	}
	var p problem
	if s, ok := st.Sys().(*syscall.Stat_t); ok && s.Uid != 0 && int(s.Uid) != os.Geteuid() {
		p.owner = fmt.Sprintf("uid %d (a symbolic link)", s.Uid)
	}
	return p, nil
}

func inspectFile(f *os.File) (problem, error) {
	st, err := f.Stat()
	if err != nil {
		return problem{}, err
	}
	return inspect(st, false), nil
}

// inspect: a group or others write bit lets others change the file (or add,
// remove and rename a directory's entries); for a lock, a read bit lets them
// open it and hold it with flock(2).
func inspect(st fs.FileInfo, lock bool) problem {
	var p problem
	if s, ok := st.Sys().(*syscall.Stat_t); ok && s.Uid != 0 && int(s.Uid) != os.Geteuid() {
		p.owner = fmt.Sprintf("uid %d", s.Uid)
	}
	mode := st.Mode().Perm()
	switch {
	case mode&0o022 != 0:
		p.others = append(p.others, fmt.Sprintf("mode %04o: %s may write it", mode, who(mode, 0o020, 0o002)))
	case lock && mode&0o044 != 0:
		p.others = append(p.others, fmt.Sprintf("mode %04o: %s may open it and hold the lock", mode, who(mode, 0o040, 0o004)))
	}
	return p
}

func who(mode, group, other fs.FileMode) string {
	switch {
	case mode&group != 0 && mode&other != 0:
		return "its group and others"
	case mode&group != 0:
		return "its group"
	}
	return "others"
}
