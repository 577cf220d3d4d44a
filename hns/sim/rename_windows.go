package sim

import "os"

// rename is os.Rename (MoveFileEx, which replaces an existing file).
func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
