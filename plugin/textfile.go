package plugin

import (
	"strings"
	"unicode/utf16"
)

// decodeText decodes a small text file as Windows tools write it: UTF-8
// with or without a BOM, or UTF-16 LE/BE with a BOM (PowerShell 5's
// Out-File and ">" write UTF-16 LE), or UTF-16 LE without one (recognised by
// an ASCII first character). Surrounding white space, CRLF included, is
// trimmed.
func decodeText(b []byte) string {
	var s string
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		s = string(b[3:])
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		s = decodeUTF16(b[2:], false)
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		s = decodeUTF16(b[2:], true)
	case len(b) >= 2 && b[0] != 0 && b[0] < 0x80 && b[1] == 0:
		s = decodeUTF16(b, false)
	default:
		s = string(b)
	}
	return strings.TrimSpace(s)
}

func decodeUTF16(b []byte, bigEndian bool) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if bigEndian {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	return string(utf16.Decode(u))
}
