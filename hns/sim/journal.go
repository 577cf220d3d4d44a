package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// One operation, one commit. A mutation writes several files (an
// endpoint's object, its addresses, its network membership, its name), and
// a process killed between two of them would leave HNS torn: an endpoint
// that name lookups cannot find, or an address that its index forgets, so
// that two endpoints end up holding it. Real HNS cannot be torn that way.
//
// So a mutation's writes are not made as it goes: they are collected in a
// journal (reads in the same operation see them), and when the operation
// succeeds the journal is written in one file, atomically (put: a spare
// file renamed into place). That rename is the commit point. Then the
// writes are applied and the journal dropped. A process killed before the
// rename changed nothing; one killed after it left a journal, which the
// next holder of the lock (exclusive, or shared: it upgrades) applies
// again before it looks at anything. Applying is idempotent, each write
// setting a file to a given content or removing it, so a journal can be
// applied any number of times. An operation that fails writes nothing.
const journalFileName = "journal.json"

type opKind int

const (
	opPut      opKind = iota // set the file to Data
	opDrop                   // remove the file
	opDropTree               // remove the directory and everything under it
)

// fileOp is one write of an operation; Path is relative to the state
// directory, with forward slashes.
type fileOp struct {
	Kind opKind
	Path string
	Data []byte `json:",omitempty"`
}

// journal is the writes of one operation, in order.
type journal struct {
	Ops []fileOp
}

func (st store) rel(path string) string {
	r, err := filepath.Rel(st.dir, path)
	if err != nil || strings.HasPrefix(r, "..") {
		panic(fmt.Sprintf("hns sim: %s is outside the state directory %s", path, st.dir)) // a bug in the simulator
	}
	return filepath.ToSlash(r)
}

// pending returns what the current operation has written at path: found
// says whether it touched it at all, data is nil when it removed it.
func (st store) pending(path string) (data []byte, found bool) {
	if st.tx == nil {
		return nil, false
	}
	p := st.rel(path)
	for i := len(st.tx.Ops) - 1; i >= 0; i-- {
		op := st.tx.Ops[i]
		switch {
		case op.Path == p && op.Kind == opPut:
			return op.Data, true
		case op.Path == p, op.Kind == opDropTree && strings.HasPrefix(p, op.Path+"/"):
			return nil, true
		}
	}
	return nil, false
}

// readFile reads path as the current operation sees it.
func (st store) readFile(path string) ([]byte, error) {
	if data, found := st.pending(path); found {
		if data == nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		}
		return data, nil
	}
	return os.ReadFile(path)
}

// readJSON decodes the object file at path as the current operation sees
// it; a missing file satisfies errors.Is(err, fs.ErrNotExist).
func (st store) readJSON(path string, v any) error {
	b, err := st.readFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("hns sim: corrupt state file %s: %w", path, err)
	}
	return nil
}

// listNames lists dir as the current operation sees it.
func (st store) listNames(dir string) ([]string, error) {
	names, err := listNames(dir)
	if err != nil || st.tx == nil {
		return names, err
	}
	d := st.rel(dir)
	for _, op := range st.tx.Ops {
		switch {
		case op.Kind == opDropTree && (op.Path == d || strings.HasPrefix(d, op.Path+"/")):
			names = nil
		case op.Kind != opDropTree && pathDir(op.Path) == d:
			base := op.Path[len(d)+1:]
			names = slices.DeleteFunc(names, func(n string) bool { return n == base })
			if op.Kind == opPut {
				names = append(names, base)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// put replaces path with data when the operation commits.
func (st store) put(path string, data []byte) error {
	if st.tx == nil {
		return errors.New("hns sim: write outside an exclusive section") // a bug in the simulator
	}
	st.tx.Ops = append(st.tx.Ops, fileOp{Kind: opPut, Path: st.rel(path), Data: slices.Clone(data)})
	return nil
}

// drop removes path when the operation commits; a missing file is fine.
func (st store) drop(path string) error {
	if st.tx == nil {
		return errors.New("hns sim: write outside an exclusive section")
	}
	st.tx.Ops = append(st.tx.Ops, fileOp{Kind: opDrop, Path: st.rel(path)})
	return nil
}

// dropTree removes the directory path and everything under it when the
// operation commits.
func (st store) dropTree(path string) error {
	if st.tx == nil {
		return errors.New("hns sim: write outside an exclusive section")
	}
	st.tx.Ops = append(st.tx.Ops, fileOp{Kind: opDropTree, Path: st.rel(path)})
	return nil
}

// commit makes the operation's writes durable as one: journal, apply,
// forget the journal.
func (st store) commit(tx *journal) error {
	if len(tx.Ops) == 0 {
		return nil
	}
	b, err := json.Marshal(tx)
	if err != nil {
		return err
	}
	if err := st.putFile(st.path(journalFileName), b); err != nil {
		return fmt.Errorf("hns sim: committing: %w", err)
	}
	return st.apply(tx)
}

// apply makes the journal's writes, then drops the journal.
func (st store) apply(tx *journal) error {
	for _, op := range tx.Ops {
		path := filepath.Join(st.dir, filepath.FromSlash(op.Path))
		var err error
		switch op.Kind {
		case opPut:
			if err = st.putFile(path, op.Data); errors.Is(err, fs.ErrNotExist) {
				// Its directory went with a dropTree earlier in the journal
				// (a network deleted and created again by one operation).
				if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
					err = st.putFile(path, op.Data)
				}
			}
		case opDrop:
			err = st.dropFile(path)
		case opDropTree:
			err = removeTree(path)
		}
		if err != nil {
			return fmt.Errorf("hns sim: applying the journal: %w", err)
		}
	}
	return st.dropFile(st.path(journalFileName))
}

// journaled tells whether an operation was committed and not yet fully
// applied (its process was killed).
func (st store) journaled() bool {
	_, err := os.Lstat(st.path(journalFileName))
	return err == nil
}

// recover applies the journal a killed process left; the caller holds the
// exclusive lock.
func (st store) recover() error {
	b, err := os.ReadFile(st.path(journalFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hns sim: reading the journal: %w", err)
	}
	var tx journal
	if err := json.Unmarshal(b, &tx); err != nil {
		// The journal is written whole and renamed into place: a
		// partial one is not a commit.
		return fmt.Errorf("hns sim: corrupt journal %s: %w", st.path(journalFileName), err)
	}
	return st.apply(&tx)
}
