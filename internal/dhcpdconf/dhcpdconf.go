package dhcpdconf

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/config"
)

// keyword matches the statements a dhcpd.conf commonly starts with.
// None of them is a pxed YAML key.
var keyword = regexp.MustCompile(`^(subnet|host|group|class|option|authoritative|not|default-lease-time|max-lease-time|next-server|filename|ddns-update-style|allow|deny|use-host-decl-names|shared-network|log-facility|include|failover|key|zone|if)\b`)

// statementLine matches a line that is a whole dhcpd.conf statement or
// opens a block: a word, then anything, then ';' or '{' (and perhaps a comment).
var statementLine = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*([ \t].*)?[;{][ \t]*(#.*)?$`)

// LooksLike reports whether data is a dhcpd.conf rather than pxed YAML.
// It looks at the first line that is not blank or a comment: in YAML that
// line is "---", a directive ("%"), or a key followed by ':'; in a
// dhcpd.conf it starts with a word that no ':' follows, and either the word
// is a dhcpd.conf keyword or the line ends its statement (';') or opens a
// block ('{'). Anything else is read as YAML, the default.
func LooksLike(data []byte) bool {
	for line := range bytes.Lines(data) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		word := strings.TrimLeft(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
		if word == s || strings.HasPrefix(strings.TrimSpace(word), ":") {
			return false // no word first, or a YAML key
		}
		return keyword.MatchString(s) || statementLine.MatchString(s)
	}
	return false
}

// Parse reads a dhcpd.conf into a config.Config, with defaults applied as
// config.Parse applies them to YAML. Every statement outside the subset, and
// every syntax error, is reported with its line; the error holds them all,
// one per line. Like config.Parse, it does not validate: Validate names
// the lines of the dhcpd.conf.
func Parse(file string, data []byte) (*config.Config, error) {
	c, err := read(file, data)
	if err != nil {
		return nil, err
	}
	c.ApplyDefaults()
	return c, nil
}

// read builds the Config as written, before defaults.
func read(file string, data []byte) (*config.Config, error) {
	root, problems := parseTree(file, data)
	if len(problems) > 0 {
		return nil, config.JoinProblems(problems)
	}
	b := &builder{c: &config.Config{File: file}}
	b.build(root)
	if len(b.errs) > 0 {
		// A group's statement is checked once per host in it: report it once.
		slices.SortStableFunc(b.errs, func(x, y config.Problem) int { return cmp.Compare(x.Line, y.Line) })
		return nil, config.JoinProblems(slices.Compact(b.errs))
	}
	return b.c, nil
}
