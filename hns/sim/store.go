package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Top-level entries of the state directory (see the package comment).
const (
	lockFileName   = "lock"
	configFileName = "config.json"
	faultsFileName = "faults.json"
	metaFileName   = "seq"
	networksDir    = "networks"
	endpointsDir   = "endpoints"
	namespacesDir  = "namespaces"
	namesDir       = "names"
	membersDir     = "members"
	ipsDir         = "ips"
	portsDir       = "ports"
)

// objectDirs are the directories Reset empties and Open creates.
var objectDirs = []string{networksDir, endpointsDir, namespacesDir, namesDir, membersDir, ipsDir, portsDir, poolDir, pendingDir}

// store reads and writes files under the state directory. It knows the
// layout but none of HNS's rules.
type store struct {
	dir string
	tx  *journal // the writes of the operation under way (exclusive sections only)
	// spares are the pool files known to be free in the exclusive section
	// under way (see spare); nil outside one.
	spares *[]string
}

func (st store) path(elem ...string) string {
	return filepath.Join(append([]string{st.dir}, elem...)...)
}

func (st store) init() error {
	for _, d := range objectDirs {
		if err := os.MkdirAll(st.path(d), 0o755); err != nil {
			return fmt.Errorf("hns sim: %w", err)
		}
	}
	return nil
}

// readJSON decodes the file at path into v. A missing file is reported as
// an error satisfying errors.Is(err, fs.ErrNotExist).
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("hns sim: corrupt state file %s: %w", path, err)
	}
	return nil
}

// writeJSON replaces the file at path with v, atomically, with a new
// inode, so that it can be read without the lock (config and faults, which
// every call reads and few calls write).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// putJSON replaces the object file at path with v when the operation
// commits (see put).
func (st store) putJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.put(path, b)
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// over path, so that concurrent readers see the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// removeFile removes path; a file that is already gone is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeTree removes path and everything under it. It does what
// os.RemoveAll does, with plain unlinks: Go's Windows RemoveAll relies on
// POSIX delete semantics that Wine, where the Windows build is tested,
// does not implement.
func removeTree(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || !fi.IsDir() {
		return removeFile(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, removeTree(filepath.Join(path, e.Name())))
	}
	errs = append(errs, removeFile(path))
	return errors.Join(errs...)
}

// listNames returns the entries of dir, without temporary files, sorted.
// A missing directory is empty.
func listNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// nextSeq hands out the next creation sequence number; callers hold the
// exclusive lock. Sequence numbers order objects by creation, which makes
// listings deterministic, and pick MAC addresses. The counter is a
// fixed-width decimal rewritten in place: a 20-byte write within one block
// cannot tear, and creating a file per call would be slow (see put).
func (st store) nextSeq() (uint64, error) {
	f, err := os.OpenFile(st.path(metaFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var buf [20]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	var seq uint64
	if n > 0 {
		if seq, err = strconv.ParseUint(strings.TrimSpace(string(buf[:n])), 10, 64); err != nil {
			return 0, fmt.Errorf("hns sim: corrupt %s: %w", metaFileName, err)
		}
	}
	seq++
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%20d", seq)), 0); err != nil {
		return 0, err
	}
	return seq, nil
}
