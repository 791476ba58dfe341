package syslogd

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// Format is the message format a datagram was read in.
type Format uint8

const (
	// FormatRaw is a datagram in neither syslog format, kept as it came
	// (its PRI read when it starts with one).
	FormatRaw Format = iota
	FormatRFC3164
	FormatRFC5424
)

func (f Format) String() string {
	switch f {
	case FormatRFC3164:
		return "rfc3164"
	case FormatRFC5424:
		return "rfc5424"
	}
	return "raw"
}

// Severity is a message's severity (RFC 5424 §6.2.1, Table 2; RFC 3164
// §4.1.1 has the same): 0 is the gravest.
type Severity uint8

const (
	Emergency Severity = iota
	Alert
	Critical
	Error
	Warning
	Notice
	Informational
	Debug
)

// severityNames are the keywords syslog.conf and logger(1) use.
var severityNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Notable reports whether a line of severity s is worth a person's eye
// before the others: warning or graver.
func (s Severity) Notable() bool { return s <= Warning }

// MaxDetail bounds the text a line keeps (Line.Detail), so that the lines
// a timeline keeps (events.Limits.InstallerLines) stay small: installers
// write lines of a few dozen characters; a longer one is cut, not dropped.
const MaxDetail = 1024

// Line is one syslog message as pxed keeps it.
type Line struct {
	Format Format
	// Severity is the message's severity; Notice (PRI 13, user.notice, what
	// logger(1) and syslog(3) send by default) when the datagram had no PRI.
	Severity Severity
	Facility uint8
	// Time is the sender's timestamp, zero when it sent none: an
	// installer's clock is often wrong, so the timeline keeps the time
	// pxed received the line; this is for the record. RFC 3164's
	// TIMESTAMP has no year (§4.1.2): such a Time is in year 0.
	Time time.Time
	Host string // the HOSTNAME field: the sender's own name, untrusted
	App  string // the APP-NAME (RFC 5424) or TAG (RFC 3164)
	PID  string
	Msg  string
}

// defaultPRI is what RFC 3164 §4.3.3 has a relay assume of a message
// without a PRI: facility user (1), severity notice (5).
const defaultPRI = 13

// Parser reads datagrams into Lines. It keeps the state machines between
// datagrams, so one Parser serves one goroutine; the zero value is ready.
type Parser struct {
	m syslog.Machine
}

// Parse reads one datagram. A datagram in neither syslog format, or one
// that a format's machine only half reads, is kept whole as FormatRaw:
// what an installer said matters more than its framing.
func (p *Parser) Parse(b []byte) Line {
	if p.m == nil {
		// Busybox and glibc write RFC 3164's Stamp with a space-padded
		// day; some senders pad with a zero ("Dec 06"), which RFC 3164
		// §4.1.2 does not allow and which costs nothing to accept.
		p.m = auto.NewMachine(auto.WithRFC3164Options(rfc3164.WithLenientDay(), rfc3164.WithRFC3339()))
	}
	b = bytes.TrimRight(b, "\r\n\x00")
	msg, err := p.m.Parse(b)
	if err == nil && msg != nil && msg.Valid() {
		switch m := msg.(type) {
		case *rfc5424.SyslogMessage:
			return fromBase(FormatRFC5424, &m.Base)
		case *rfc3164.SyslogMessage:
			return fromBase(FormatRFC3164, &m.Base)
		}
	}
	return raw(b)
}

// Parse reads one datagram with a Parser of its own.
func Parse(b []byte) Line {
	var p Parser
	return p.Parse(b)
}

func fromBase(f Format, b *syslog.Base) Line {
	l := Line{Format: f, Host: text(b.Hostname), App: text(b.Appname), PID: text(b.ProcID), Msg: text(b.Message)}
	pri := uint8(defaultPRI)
	if b.Priority != nil {
		pri = *b.Priority
	}
	l.Facility, l.Severity = pri/8, Severity(pri%8)
	if b.Timestamp != nil {
		l.Time = *b.Timestamp
	}
	// RFC 5424 §6.2.4: "-" is the NILVALUE of a header field.
	if l.Host == "-" {
		l.Host = ""
	}
	if l.App == "-" {
		l.App = ""
	}
	if l.PID == "-" {
		l.PID = ""
	}
	// RFC 5424 §6.4: a MSG may start with the UTF-8 BOM.
	l.Msg = strings.TrimPrefix(strings.TrimRight(l.Msg, "\r\n\x00"), "\ufeff")
	return l
}

// raw keeps a datagram in neither format whole, reading the PRI it starts
// with when it has one (RFC 3164 §4.3.3 has a relay do as much).
func raw(b []byte) Line {
	l := Line{Format: FormatRaw, Facility: defaultPRI / 8, Severity: defaultPRI % 8}
	if pri, rest, ok := cutPRI(b); ok {
		l.Facility, l.Severity, b = pri/8, Severity(pri%8), rest
	}
	l.Msg = strings.TrimSpace(clean(b))
	return l
}

// cutPRI reads "<N>" with N in 0..191 (RFC 5424 §6.2.1: one to three
// digits, no leading zero but for 0 itself) off the front of b.
func cutPRI(b []byte) (uint8, []byte, bool) {
	if len(b) < 3 || b[0] != '<' {
		return 0, b, false
	}
	end := bytes.IndexByte(b[:min(len(b), 5)], '>')
	if end < 2 {
		return 0, b, false
	}
	digits := b[1:end]
	if len(digits) > 1 && digits[0] == '0' {
		return 0, b, false
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil || n < 0 || n > 191 {
		return 0, b, false
	}
	return uint8(n), b[end+1:], true
}

func text(p *string) string {
	if p == nil {
		return ""
	}
	return clean([]byte(*p))
}

// clean makes a field safe to keep: valid UTF-8, at most MaxDetail bytes.
// Control characters stay; every reader escapes them (the dashboard as
// HTML, the command line as terminal text).
func clean(b []byte) string {
	if len(b) > MaxDetail {
		// Cut at the start of a character, not inside one.
		n := MaxDetail
		for n > MaxDetail-utf8.UTFMax && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// Detail is the line as the timeline shows it: "app[pid]: message", with
// the severity in front when it is notable ("err partman: …"), cut to
// MaxDetail bytes.
func (l Line) Detail() string {
	var b strings.Builder
	if l.Severity.Notable() {
		b.WriteString(l.Severity.String())
		b.WriteByte(' ')
	}
	if l.App != "" {
		b.WriteString(l.App)
		if l.PID != "" {
			b.WriteByte('[')
			b.WriteString(l.PID)
			b.WriteByte(']')
		}
		b.WriteString(": ")
	}
	b.WriteString(l.Msg)
	return clean([]byte(b.String()))
}
