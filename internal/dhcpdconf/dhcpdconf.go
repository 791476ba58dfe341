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
// one per line (at most config.MaxProblems). Like config.Parse, it does not
// validate: Validate names the lines of the dhcpd.conf.
func Parse(file string, data []byte) (*config.Config, error) {
	c, problems := Read(file, data)
	if len(problems) > 0 {
		return nil, config.JoinProblems(config.Capped(problems, config.MaxProblems))
	}
	return c, nil
}

// Read reads a dhcpd.conf as far as it goes: the Config of every statement
// that parsed, with defaults applied, and the problems of the others
// (syntax errors, statements outside the subset, values that do not map
// onto a Config), in file order. The parser resynchronises after each
// error at the statement's ';' or at the '}' that closes its block, so one
// mistake costs one statement, and the Config holds all the others: pxed
// check validates it (Problems) to report the rest of what is wrong at the
// same time. It is a Config to check, never one to serve, when there are
// problems.
func Read(file string, data []byte) (*config.Config, []config.Problem) {
	root, problems := parseTree(file, data)
	b := &builder{c: &config.Config{File: file}}
	b.build(root)
	// A group's statement is checked once per host in it: report it once.
	problems = append(problems, b.errs...)
	slices.SortStableFunc(problems, func(x, y config.Problem) int { return cmp.Compare(x.Line, y.Line) })
	b.c.ApplyDefaults()
	return b.c, slices.Compact(problems)
}

// Problems is what pxed check reports of a dhcpd.conf: the problems Read
// found and those Validate finds in the Config it read, in the order of
// their lines (problems with no line first, as Validate orders them), each
// once. Run it after flags have changed c, as Validate.
func Problems(c *config.Config, read []config.Problem) []config.Problem {
	all := append(slices.Clone(read), c.Validate()...)
	slices.SortStableFunc(all, func(x, y config.Problem) int { return cmp.Compare(x.Line, y.Line) })
	return slices.Compact(all)
}
