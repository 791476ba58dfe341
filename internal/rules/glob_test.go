package rules

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"QEMU", "QEMU", true},
		{"qemu", "QEMU", true}, // case does not matter
		{"Dell*", "Dell Inc.", true},
		{"dell*", "DELL INC.", true},
		{"Dell*", "Dell", true}, // * takes nothing too
		{"Dell*", "Del", false},
		{"*Edge R6*", "PowerEdge R640", true},
		{"PXED-????", "PXED-0042", true},
		{"PXED-????", "PXED-00042", false},
		{"PXED-????", "PXED-042", false},
		{"*", "", true},
		{"?", "", false},
		{"", "", true},
		{"", "x", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*/*", "SN/1234", true}, // * crosses /
		{"[A-C]9*", "b9x", true}, // sets ignore case too
		{"[!a-c]9", "d9", true},
		{"[!a-c]9", "B9", false},
		{"[^0-9]*", "x1", true},
		{"[]]x", "]x", true}, // ] first in a set is a member
		{"a\\*", "a*", true}, // escaped star is a star
		{"a\\*", "ab", false},
		{"ÄBC*", "äbc-1", true}, // not only ASCII
		{"s?n", "sün", true},    // ? is one character, not one byte
		{"***a", "a", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 100), false}, // no blow-up
	}
	for _, tt := range tests {
		g, err := CompileGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := g.Match(tt.s); got != tt.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestCompileGlobRefuses(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"[abc", "[", "[]", "ab\\", "[z-a]", "[a-\\", "\xff*"} {
		if _, err := CompileGlob(p); err == nil {
			t.Errorf("CompileGlob(%q) took it, want an error", p)
		}
	}
}

// FuzzGlob checks that a pattern that compiles never panics on matching,
// matches itself when it has no special characters, and that "*" around
// it matches anything with it inside.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"Dell*", "PXED-????", "[!a-c]9", "[]]x", "a\\*", "[a-", "ÄBC*"} {
		f.Add(s, "Dell Inc.")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g, err := CompileGlob(pattern)
		if err != nil {
			return
		}
		g.Match(s)
		if !strings.ContainsAny(pattern, "*?[\\") && !g.Match(pattern) {
			t.Fatalf("%q does not match itself", pattern)
		}
		if star, err := CompileGlob("*" + pattern + "*"); err == nil && g.Match(s) && !star.Match("x"+s+"y") {
			t.Fatalf("%q matches %q, but *%s* does not match x%sy", pattern, s, pattern, s)
		}
	})
}
