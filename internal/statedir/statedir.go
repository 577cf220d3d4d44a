// Package statedir keeps the plugin's node-local state (the IPAM and network
// locks, the block hint, the cluster cache) in a directory that only the
// node's administrators can change: SYSTEM and Administrators on Windows
// (an explicit, protected DACL), the plugin's own user (root) on Unix (0700
// directories, 0600 files). It creates the directory and the files that way,
// and refuses, with an *UntrustedError naming the path and who else may
// change it, to trust a directory or file that others could have written:
// a forged cache could hand out a pool the cluster does not have, and a lock
// that others may open can be held by them, blocking every ADD and DEL.
//
// It knows nothing of what the files hold, and imports nothing of the module.
package statedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// UntrustedError is a state directory or file that someone other than the
// trusted principals (Trusted) may change, or, for a lock, open.
type UntrustedError struct {
	Path   string
	Reason string // e.g. "BUILTIN\Users (S-1-5-32-545) may write data or add files"
	Fix    string // a command that makes it private
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("%s is not trusted: %s; only %s may change it (%s)", e.Path, e.Reason, Trusted, e.Fix)
}

func untrusted(path string, dir bool, p problem) *UntrustedError {
	return &UntrustedError{Path: path, Reason: p.String(), Fix: fix(path, dir)}
}

// Ensure makes dir a trusted directory. A missing dir is created (its
// missing parents with default permissions, dir itself private). An existing
// dir that others may write is an *UntrustedError, unless restrict is set and
// a trusted principal owns it: then its permissions are replaced by the
// private ones (for a directory that is the plugin's own, made by an earlier
// version with inherited permissions), and a warning is logged.
func Ensure(dir string, restrict bool) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("creating the state directory %s: %w", dir, err)
		}
		if err := mkdirPrivate(dir); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating the state directory %s: %w", dir, err)
		}
	} else if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	// A link's owner may be able to point it elsewhere (in a sticky
	// directory such as /tmp, by replacing it); restricting the target
	// would not help.
	if p, err := inspectLink(dir); err != nil {
		return fmt.Errorf("checking the state directory %s: %w", dir, err)
	} else if !p.ok() {
		return untrusted(dir, true, p)
	}
	return trust(dir, true, false, restrict)
}

// PrepareLock makes the lock file at path exist and be private: no one but
// the trusted principals may open it (opening is enough to hold a lock, by
// flock(2) as by LockFileEx). Its directory must have passed Ensure. A lock
// file that others may open is made private when a trusted principal owns it
// (a file of an earlier version, made with inherited permissions); one that
// another principal owns is an *UntrustedError.
func PrepareLock(path string) error {
	f, err := createPrivate(path)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating the lock file %s: %w", path, err)
	}
	return trust(path, false, true, true)
}

// trust checks path and, when allowed and its owner is trusted, makes it
// private. lock asks that no one else may even open it.
func trust(path string, dir, lock, restrict bool) error {
	p, err := inspectPath(path, lock)
	if err != nil {
		return fmt.Errorf("checking the permissions of %s: %w", path, err)
	}
	if p.ok() {
		return nil
	}
	if !restrict || p.owner != "" {
		return untrusted(path, dir, p)
	}
	if err := makePrivate(path, dir); err != nil {
		return fmt.Errorf("%w; restricting it failed: %v", untrusted(path, dir, p), err)
	}
	slog.Warn("restricted the permissions of a state file or directory that others could change", "path", path, "was", p.String())
	if p, err = inspectPath(path, lock); err != nil || !p.ok() {
		return fmt.Errorf("%w (still, after restricting it)", untrusted(path, dir, p))
	}
	return nil
}

// ReadFile reads a state file, if both it and its directory are trusted;
// otherwise it returns an *UntrustedError and no data.
func ReadFile(path string) ([]byte, error) {
	if p, err := inspectPath(filepath.Dir(path), false); err != nil {
		return nil, err
	} else if !p.ok() {
		return nil, untrusted(filepath.Dir(path), true, p)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The open file is checked, not the path: what is read is what was checked.
	p, err := inspectFile(f)
	if err != nil {
		return nil, fmt.Errorf("checking the permissions of %s: %w", path, err)
	}
	if !p.ok() {
		return nil, untrusted(path, false, p)
	}
	return io.ReadAll(f)
}

// OverwriteFile writes data over path's contents in place when path is
// already a trusted regular file in a trusted directory (the open file is
// checked, as ReadFile does); anything else (missing, a link, a file others
// could have written) is replaced as WriteFile does. An in-place write makes
// no new file: on ext4 and NTFS a fresh file per write (an inode, an MFT
// record) costs far more than writing a few kilobytes. But a reader may see
// a torn value, and a crash may leave one: it is for files whose contents
// carry their own check.
func OverwriteFile(path string, data []byte) error {
	if !overwritable(path) {
		return WriteFile(path, data)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return WriteFile(path, data)
	}
	if p, err := inspectFile(f); err != nil || !p.ok() {
		f.Close()
		return WriteFile(path, data)
	}
	_, werr := f.WriteAt(data, 0)
	if werr == nil {
		werr = f.Truncate(int64(len(data)))
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// overwritable: path's directory is trusted and path itself a regular
// file, not a link (no one else can put one there: the directory is theirs
// alone).
func overwritable(path string) bool {
	if p, err := inspectPath(filepath.Dir(path), false); err != nil || !p.ok() {
		return false
	}
	st, err := os.Lstat(path)
	return err == nil && st.Mode().IsRegular()
}

// WriteFile replaces path with a private file holding data, through a
// temporary file and a rename, so that concurrent readers never see a torn
// value and a file others could write is replaced, not reused.
func WriteFile(path string, data []byte) error {
	var f *os.File
	var err error
	for i := 0; i < 10; i++ {
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"-"+
			strconv.FormatInt(int64(os.Getpid()), 36)+strconv.FormatInt(time.Now().UnixNano()+int64(i), 36))
		if f, err = createPrivate(tmp); !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err = errors.Join(werr, cerr); err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
