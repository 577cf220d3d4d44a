package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestMTU(t *testing.T) {
	dir, err := os.MkdirTemp("", "mtu-") // not t.TempDir: its cleanup fails under Wine
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	old := mtuFile
	defer func() { mtuFile = old }()
	mtuFile = filepath.Join(dir, "mtu")

	if v, err := mtu(&NetConf{MTU: 1400}); v != 1400 || err != nil {
		t.Errorf("conf mtu: %d, %v", v, err)
	}
	if v, err := mtu(&NetConf{}); v != 0 || err != nil {
		t.Errorf("no file: %d, %v", v, err)
	}
	if _, err := mtu(&NetConf{RequireMTUFile: true}); !errors.Is(err, errNotReady) {
		t.Errorf("required file missing: %v", err)
	}
	os.WriteFile(mtuFile, []byte("1450\n"), 0o644)
	if v, err := mtu(&NetConf{}); v != 1450 || err != nil {
		t.Errorf("file: %d, %v", v, err)
	}
	os.WriteFile(mtuFile, []byte("big"), 0o644)
	if _, err := mtu(&NetConf{}); err == nil {
		t.Error("a bad MTU file was accepted")
	}
}
