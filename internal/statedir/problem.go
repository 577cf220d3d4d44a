package statedir

import "strings"

// problem is what makes a directory or file untrusted.
type problem struct {
	owner  string   // its owner, when not a trusted principal
	others []string // who else may change (or, for a lock, open) it, and how
}

func (p problem) ok() bool { return p.owner == "" && len(p.others) == 0 }

func (p problem) String() string {
	var parts []string
	if p.owner != "" {
		parts = append(parts, "owned by "+p.owner)
	}
	return strings.Join(append(parts, p.others...), "; ")
}
