package rules

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Glob is a compiled pattern over a machine's SMBIOS strings (vendor,
// product, serial), compared ignoring case, as those strings come in
// whatever case their maker chose ("QEMU", "Dell Inc.", "LENOVO").
//
// "*" matches any run of characters (none too), "?" one character,
// "[abc]", "[a-z]" one of a set ("[!…]" or "[^…]" one outside it), and
// "\" takes the next character as it is. Unlike path.Match, "*" crosses
// "/": serial numbers hold slashes.
type Glob struct {
	pattern string
	toks    []globTok
}

type globKind uint8

const (
	globLiteral globKind = iota
	globAny              // ?
	globStar             // *
	globClass            // [...]
)

type globTok struct {
	kind   globKind
	r      rune        // globLiteral
	ranges []runeRange // globClass
	negate bool        // globClass
}

type runeRange struct{ lo, hi rune }

// CompileGlob reads a pattern; it fails on an unclosed "[", an empty set,
// a set range that runs backwards, a "\" with nothing after it, or text
// that is not UTF-8.
func CompileGlob(pattern string) (Glob, error) {
	if !utf8.ValidString(pattern) {
		return Glob{}, fmt.Errorf("glob %q is not UTF-8", pattern)
	}
	g := Glob{pattern: pattern}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '*':
			if n := len(g.toks); n > 0 && g.toks[n-1].kind == globStar {
				continue // "**" is "*"; folding keeps matching linear
			}
			g.toks = append(g.toks, globTok{kind: globStar})
		case '?':
			g.toks = append(g.toks, globTok{kind: globAny})
		case '\\':
			if i+1 == len(rs) {
				return Glob{}, fmt.Errorf("glob %q ends in a lone \\", pattern)
			}
			i++
			g.toks = append(g.toks, globTok{kind: globLiteral, r: rs[i]})
		case '[':
			t, n, err := compileClass(rs[i+1:])
			if err != nil {
				return Glob{}, fmt.Errorf("glob %q: %w", pattern, err)
			}
			g.toks = append(g.toks, t)
			i += n
		default:
			g.toks = append(g.toks, globTok{kind: globLiteral, r: rs[i]})
		}
	}
	return g, nil
}

// compileClass reads a set after its "[" and returns it with the number
// of runes it took, "]" included. A "]" first in the set is a member.
func compileClass(rs []rune) (globTok, int, error) {
	t := globTok{kind: globClass}
	i := 0
	if i < len(rs) && (rs[i] == '!' || rs[i] == '^') {
		t.negate = true
		i++
	}
	first := true
	for ; i < len(rs); i++ {
		c := rs[i]
		if c == ']' && !first {
			return t, i + 1, nil
		}
		first = false
		if c == '\\' {
			if i+1 == len(rs) {
				break
			}
			i++
			c = rs[i]
		}
		r := runeRange{c, c}
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] != ']' {
			hi := rs[i+2]
			i += 2
			if hi == '\\' {
				if i+1 == len(rs) {
					break
				}
				i++
				hi = rs[i]
			}
			if hi < c {
				return globTok{}, 0, fmt.Errorf("set range %c-%c runs backwards", c, hi)
			}
			r.hi = hi
		}
		t.ranges = append(t.ranges, r)
	}
	return globTok{}, 0, errors.New("a [ has no closing ]")
}

// String is the pattern as written.
func (g Glob) String() string { return g.pattern }

// Match reports whether s matches the whole pattern, ignoring case. It
// runs in O(len(s)·len(pattern)) at worst (one star remembered at a time).
func (g Glob) Match(s string) bool {
	rs := []rune(s)
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(rs) {
		if ti < len(g.toks) {
			t := g.toks[ti]
			if t.kind == globStar {
				starT, starS = ti, si
				ti++
				continue
			}
			if t.matches(rs[si]) {
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		// Let the last star take one more character and try again.
		starS++
		si = starS
		ti = starT + 1
	}
	for ti < len(g.toks) && g.toks[ti].kind == globStar {
		ti++
	}
	return ti == len(g.toks)
}

func (t globTok) matches(r rune) bool {
	switch t.kind {
	case globAny:
		return true
	case globLiteral:
		return t.r == r || unicode.ToLower(t.r) == unicode.ToLower(r) || unicode.ToUpper(t.r) == unicode.ToUpper(r)
	case globClass:
		in := false
		for _, c := range []rune{r, unicode.ToLower(r), unicode.ToUpper(r)} {
			for _, rr := range t.ranges {
				if rr.lo <= c && c <= rr.hi {
					in = true
				}
			}
		}
		return in != t.negate
	}
	return false
}
