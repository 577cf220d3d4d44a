package ipam

import (
	"fmt"
	"strings"
)

// selector is a parsed Calico label selector (the subset pools use:
// all(), has(k), k == 'v', k != 'v', k in {...}, k not in {...},
// k contains/starts with/ends with 'v', !, &&, || and parentheses).
type selector func(labels map[string]string) bool

// parseSelector parses s; an empty selector selects everything.
func parseSelector(s string) (selector, error) {
	p := &selParser{in: s}
	p.skip()
	if p.pos == len(p.in) {
		return func(map[string]string) bool { return true }, nil
	}
	sel, err := p.or()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.pos != len(p.in) {
		return nil, fmt.Errorf("selector %q: unexpected %q", s, p.in[p.pos:])
	}
	return sel, nil
}

type selParser struct {
	in  string
	pos int
}

func (p *selParser) skip() {
	for p.pos < len(p.in) && strings.ContainsRune(" \t\n", rune(p.in[p.pos])) {
		p.pos++
	}
}

func (p *selParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.in[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *selParser) errf(format string, a ...any) error {
	return fmt.Errorf("selector %q at %d: %s", p.in, p.pos, fmt.Sprintf(format, a...))
}

func (p *selParser) or() (selector, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]string) bool { return a(m) || b(m) }
	}
	return l, nil
}

func (p *selParser) and() (selector, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]string) bool { return a(m) && b(m) }
	}
	return l, nil
}

func (p *selParser) unary() (selector, error) {
	switch {
	case p.eat("!") && !strings.HasPrefix(p.in[p.pos:], "="):
		s, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(m map[string]string) bool { return !s(m) }, nil
	case p.eat("("):
		s, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.errf("missing )")
		}
		return s, nil
	case p.eat("all()"), p.eat("global()"):
		return func(map[string]string) bool { return true }, nil
	case p.eat("has("):
		k := p.label()
		if k == "" || !p.eat(")") {
			return nil, p.errf("bad has()")
		}
		return func(m map[string]string) bool { _, ok := m[k]; return ok }, nil
	}
	return p.comparison()
}

func (p *selParser) label() string {
	p.skip()
	start := p.pos
	for p.pos < len(p.in) && (isAlnum(p.in[p.pos]) || strings.IndexByte("._/-", p.in[p.pos]) >= 0) {
		p.pos++
	}
	return p.in[start:p.pos]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *selParser) value() (string, error) {
	p.skip()
	if p.pos >= len(p.in) || (p.in[p.pos] != '\'' && p.in[p.pos] != '"') {
		return "", p.errf("expected a quoted value")
	}
	q := p.in[p.pos]
	end := strings.IndexByte(p.in[p.pos+1:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.in[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v, nil
}

func (p *selParser) set() (map[string]bool, error) {
	if !p.eat("{") {
		return nil, p.errf("expected {")
	}
	out := map[string]bool{}
	if p.eat("}") {
		return out, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[v] = true
		if p.eat("}") {
			return out, nil
		}
		if !p.eat(",") {
			return nil, p.errf("expected , or }")
		}
	}
}

func (p *selParser) comparison() (selector, error) {
	k := p.label()
	if k == "" {
		return nil, p.errf("expected a label")
	}
	type strOp func(have, want string) bool
	ops := []struct {
		tok string
		fn  strOp
		neg bool // true when a missing label matches
	}{
		{"==", func(h, w string) bool { return h == w }, false},
		{"!=", func(h, w string) bool { return h != w }, true},
		{"contains", strings.Contains, false},
		{"starts with", strings.HasPrefix, false},
		{"ends with", strings.HasSuffix, false},
	}
	for _, op := range ops {
		if p.eat(op.tok) {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			fn, neg := op.fn, op.neg
			return func(m map[string]string) bool {
				have, ok := m[k]
				if !ok {
					return neg
				}
				return fn(have, v)
			}, nil
		}
	}
	not := p.eat("not")
	if !p.eat("in") {
		return nil, p.errf("expected an operator after %q", k)
	}
	vals, err := p.set()
	if err != nil {
		return nil, err
	}
	return func(m map[string]string) bool {
		have, ok := m[k]
		return (ok && vals[have]) != not
	}, nil
}
