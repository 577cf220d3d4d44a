package plugin

// Hand-written checks for the name forms the plugin accepts (Kubernetes'
// DNS-1123 names, HCN GUIDs, network names). Each accepts exactly the
// strings its regular expression in names_test.go matches; they replace
// package-level regexp.MustCompile calls because compiling those cost
// every plugin process about 50 µs of start-up, more than all the
// matching they ever do.

// isDNS1123Label matches ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$: lower-case
// letters, digits and '-', starting and ending with a letter or digit.
func isDNS1123Label(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if !isLowerAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isDNS1123Subdomain matches
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$: one or
// more labels joined by single dots.
func isDNS1123Subdomain(s string) bool {
	for {
		i := 0
		for i < len(s) && s[i] != '.' {
			i++
		}
		if !isDNS1123Label(s[:i]) {
			return false
		}
		if i == len(s) {
			return true
		}
		s = s[i+1:]
	}
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// isGUID matches
// ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// networkNamePattern is the rule for "name", as the error message states it.
const networkNamePattern = `^[a-zA-Z0-9_.\-]+$`

// isNetworkName matches networkNamePattern: letters, digits, '_', '.' and
// '-', at least one.
func isNetworkName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
