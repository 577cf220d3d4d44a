package sim

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// On Windows the default state directory is the plugin's state directory's
// hns-sim (c:\CalicoWindows, as the IPAM lock), the same for every process
// of the node; os.Getuid is -1 there and has no place in it.
func TestDefaultDirOnWindows(t *testing.T) {
	t.Setenv(DirEnv, "")
	got := DefaultDir()
	if strings.Contains(got, strconv.Itoa(os.Getuid())) {
		t.Errorf("DefaultDir() = %q embeds os.Getuid() = %d", got, os.Getuid())
	}
	if want := `c:\CalicoWindows\hns-sim`; !strings.EqualFold(got, want) {
		t.Errorf("DefaultDir() = %q, want %q", got, want)
	}
	if !filepath.IsAbs(got) {
		t.Errorf("DefaultDir() = %q is not absolute", got)
	}
}
