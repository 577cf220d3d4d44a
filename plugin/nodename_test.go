package plugin

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"
)

// PowerShell's Set-Content/Out-File write the nodename file as UTF-8 with a
// BOM or as UTF-16 (LE, or BE with -Encoding BigEndianUnicode), with CRLF.
func TestNodenameFileEncodings(t *testing.T) {
	utf16With := func(bom []byte, be bool, s string) []byte {
		out := append([]byte{}, bom...)
		for _, u := range utf16.Encode([]rune(s)) {
			if be {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	for name, data := range map[string][]byte{
		"plain":        []byte("win-node-1\n"),
		"utf-8 bom":    append([]byte{0xEF, 0xBB, 0xBF}, "win-node-1\r\n"...),
		"utf-16 le":    utf16With([]byte{0xFF, 0xFE}, false, "win-node-1\r\n"),
		"utf-16 be":    utf16With([]byte{0xFE, 0xFF}, true, "win-node-1\r\n"),
		"utf-16 le no": utf16With(nil, false, "win-node-1\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			// Not t.TempDir: its RemoveAll fails under Wine, where this test also runs.
			dir, err := os.MkdirTemp("", "nodename-test-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			path := filepath.Join(dir, "nodename")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := nodename(&NetConf{NodenameFile: path})
			if err != nil || got != "win-node-1" {
				t.Fatalf("nodename = %q, %v; want win-node-1", got, err)
			}
		})
	}
}
