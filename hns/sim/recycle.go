package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Object files are replaced atomically (write a spare file, rename it over
// the target) but without allocating or freeing an inode per write: on
// some filesystems (ext4 on the CI machines) creating a file costs about a
// millisecond and unlinking one (or truncating it to zero) a third of
// that, while rewriting an existing file and renaming cost tens of
// microseconds. So the inodes of
// replaced and removed files go to a pool (.pool/) and are rewritten for
// later writes. A reader could see a recycled inode being rewritten, so
// object files are only read under the shared lock, and put and drop only
// run under the exclusive lock.
//
// Crash safety: the old inode is first hard-linked under .pending/, the
// spare renamed over the target, and only then the pending link moved into
// the pool. A process killed in between leaves a stale link in .pending/
// (never reused, removed by Reset), never a pool entry that is still live.
const (
	poolDir    = ".pool"
	pendingDir = ".pending"
)

func randomName() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// spare returns a pool file to write into, or a new file name in the pool
// directory when the pool is empty. In an exclusive section the pool is
// listed once and then kept up to date as files enter and leave it (no
// other process or goroutine touches it meanwhile), rather than read
// again for every file written.
func (st store) spare() string {
	if st.spares == nil {
		if names := st.listPool(1); len(names) == 1 {
			return st.path(poolDir, names[0])
		}
		return st.path(poolDir, randomName())
	}
	if len(*st.spares) == 0 {
		*st.spares = st.listPool(poolBatch)
	}
	if l := *st.spares; len(l) > 0 {
		*st.spares = l[:len(l)-1]
		return st.path(poolDir, l[len(l)-1])
	}
	return st.path(poolDir, randomName())
}

// poolBatch is how many pool files spare lists at once: more than one
// operation writes (an endpoint, its address, membership and name, and
// the journal).
const poolBatch = 16

// listPool returns up to n names of pool files.
func (st store) listPool(n int) []string {
	dir, err := os.Open(st.path(poolDir))
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(n)
	return names
}

// pooled records that name entered the pool in the exclusive section
// under way.
func (st store) pooled(name string) {
	if st.spares != nil {
		*st.spares = append(*st.spares, name)
	}
}

// putFile replaces path with data atomically, now; the caller holds the
// exclusive lock and commits or applies a journal (see journal.go).
func (st store) putFile(path string, data []byte) error {
	spare := st.spare()
	// Overwrite, then cut to size: truncating to zero first would free the
	// data block and allocate it again, which is as slow as an unlink.
	f, err := os.OpenFile(spare, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.WriteAt(data, 0)
	terr := f.Truncate(int64(len(data)))
	if err := errors.Join(werr, terr, f.Close()); err != nil {
		os.Remove(spare)
		return err
	}
	pending := st.path(pendingDir, randomName())
	kept := os.Link(path, pending) == nil // false for a new file
	if err := rename(spare, path); err != nil {
		if kept {
			os.Remove(pending)
		}
		return err
	}
	if !kept {
		return nil
	}
	name := filepath.Base(pending)
	if err := rename(pending, st.path(poolDir, name)); err != nil {
		return err
	}
	st.pooled(name)
	return nil
}

// dropFile removes path now, keeping its inode for reuse; a missing file is
// not an error. The caller holds the exclusive lock and commits or applies
// a journal.
func (st store) dropFile(path string) error {
	name := randomName()
	err := rename(path, st.path(poolDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		st.pooled(name)
	}
	return err
}
