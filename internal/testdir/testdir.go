// Package testdir gives tests a temporary directory that also works in the
// Windows test binaries run under Wine (scripts/wine-test.sh), where
// t.TempDir fails the test because its RemoveAll fails. It is for tests only
// and imports nothing of the module.
package testdir

import (
	"os"
	"testing"
)

// New returns a new directory, removed (as far as the platform lets) when
// the test ends.
func New(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "calico-win-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
