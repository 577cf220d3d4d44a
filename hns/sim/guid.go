package sim

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// newGUID returns a random (version 4) GUID in the upper-case form HNS
// uses for the IDs it assigns.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// canonicalID returns s as HNS stores IDs (upper case) and whether s is a
// GUID at all. IDs are compared case-insensitively everywhere, and only a
// valid GUID is ever turned into a file name.
func canonicalID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !isHex(c) {
				return "", false
			}
		}
	}
	return strings.ToUpper(s), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
