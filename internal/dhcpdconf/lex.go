package dhcpdconf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/pxed/pxed/internal/config"
)

// The dhcpd.conf lexer. dhcpd.conf(5) is free-form: statements end with ';',
// blocks are braced, '#' starts a comment to the end of the line, and a
// statement may span lines. Every token carries its line so that each error
// and each field of the resulting Config can name where it came from.

type tokKind int

const (
	tokEOF    tokKind = iota
	tokWord           // keywords, names, numbers, addresses, MACs, colon-separated hex
	tokString         // a double-quoted string, unescaped
	tokPunct          // one of ; { } , = ( )
)

type token struct {
	kind tokKind
	text string
	line int
}

// describe names a token for an error message: `";"`, `end of file`, `"pxelinux.0"`.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokString:
		return strconv.Quote(t.text) + " (a quoted string)"
	}
	return strconv.Quote(t.text)
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == ':'
}

// lexed is a file split into tokens, with what the lexer found wrong.
type lexed struct {
	toks []token // ending with one tokEOF
	// stray are characters that start no token, each reported and skipped.
	stray []config.Problem
	// fatal is an unterminated string or a bad escape in one: the tokens
	// end before it, since where the string was meant to end is anyone's
	// guess.
	fatal *config.Problem
	// comments holds the lines with a '#' comment: a line of words after
	// one may be the comment's continuation, wrapped by an editor.
	comments map[int]bool
}

// lex splits data into tokens.
func lex(file string, data []byte) lexed {
	var l lexed
	l.comments = map[int]bool{}
	var toks []token
	line := 1
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#':
			l.comments[line] = true
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = len(data) - i
			}
			i += j
		case c == '"':
			s, n, nl, err := lexString(data[i:])
			if err != "" {
				l.toks, l.fatal = append(toks, token{tokEOF, "", line}), &config.Problem{File: file, Line: line, Msg: err}
				return l
			}
			toks = append(toks, token{tokString, s, line})
			line += nl
			i += n
		case strings.IndexByte(";{},=()", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), line})
			i++
		case isWordByte(c):
			j := i
			for j < len(data) && isWordByte(data[j]) {
				j++
			}
			toks = append(toks, token{tokWord, string(data[i:j]), line})
			i = j
		default:
			l.stray = append(l.stray, config.Problem{File: file, Line: line, Msg: fmt.Sprintf("unexpected character %q", rune(c))})
			i++
		}
	}
	l.toks = append(toks, token{tokEOF, "", line})
	return l
}

// lexString reads a quoted string at the start of b with the escapes
// dhcpd.conf knows (\" \\ \n \t \r and octal \NNN), returning its value,
// the bytes consumed, the newlines inside it, or why it is malformed.
func lexString(b []byte) (s string, n, newlines int, err string) {
	var out []byte
	for i := 1; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			return string(out), i + 1, newlines, ""
		case '\n':
			newlines++
			out = append(out, c)
		case '\\':
			i++
			if i >= len(b) {
				return "", 0, 0, "unterminated string: expected a closing '\"'"
			}
			switch e := b[i]; {
			case e == 'n':
				out = append(out, '\n')
			case e == 't':
				out = append(out, '\t')
			case e == 'r':
				out = append(out, '\r')
			case '0' <= e && e <= '7':
				v, k := 0, 0
				for ; k < 3 && i+k < len(b) && '0' <= b[i+k] && b[i+k] <= '7'; k++ {
					v = v*8 + int(b[i+k]-'0')
				}
				if v > 255 {
					return "", 0, 0, fmt.Sprintf("octal escape \\%s is more than one byte", b[i:i+k])
				}
				out = append(out, byte(v))
				i += k - 1
			default:
				if e == '\n' {
					newlines++
				}
				out = append(out, e)
			}
		default:
			out = append(out, c)
		}
	}
	return "", 0, 0, "unterminated string: expected a closing '\"'"
}
