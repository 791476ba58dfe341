package dhcpdconf

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/pxe"
)

// The dhcpd.conf parser: tokens to a tree of blocks (global, subnet, group,
// host, class) holding the statements written in them. It knows which
// statement may stand in which block and reads each value by its type; the
// mapping of the tree onto a Config, with its inheritance rules, is in
// build.go. Anything outside the subset is an error naming its line, and the
// parser skips it to go on and report the rest of the file.

type blockKind int

const (
	blockGlobal blockKind = iota
	blockSubnet
	blockGroup
	blockHost
	blockClass
)

func (k blockKind) String() string {
	return [...]string{"top level", "subnet", "group", "host", "class"}[k]
}

type block struct {
	kind     blockKind
	line     int
	name     string       // host or class name as written
	network  netip.Prefix // subnet
	stmts    []stmt
	children []*block // subnets, groups, hosts, classes in file order
	// failed are the keywords of the statements in it that had errors and
	// were skipped: the builder does not then report them missing, as
	// that would only repeat the error.
	failed []string
}

// stmt is one statement of the subset. key is the statement's keyword
// ("next-server", "option", ...); the value field its keyword implies is set.
type stmt struct {
	key  string
	line int
	addr netip.Addr
	text string
	dur  time.Duration
	rng  config.Range
	mac  net.HardwareAddr
	opt  config.Option // option: its code and value
	name string        // option: the name written
	// bootp (range): the range is "range dynamic-bootp", open to BOOTP
	// clients too.
	bootp bool
	// match (class): the architecture a "PXEClient:Arch:NNNNN" prefix
	// selects, or nil for every PXE client ("PXEClient").
	arch *pxe.Arch
	ttl  uint32   // ddns-ttl
	dns  *dnsDecl // key, zone
}

// optType is a dhcpd.conf option type pxed can carry.
type optType int

const (
	optIP      optType = iota // ip-address
	optIPs                    // array of ip-address
	optText                   // text
	optBytes                  // string: quoted, or colon-separated hex
	optUint8                  // unsigned integer 8
	optUint16                 // unsigned integer 16
	optUint32                 // unsigned integer 32
	optBoolean                // boolean
)

type optDef struct {
	code int
	typ  optType
}

// builtinOption returns the option of dhcpd-options(5) called name, if the
// import reads it without a declaration (codes of RFC 2132).
func builtinOption(name string) (optDef, bool) {
	switch name {
	case "subnet-mask":
		return optDef{1, optIP}, true // §3.3
	case "routers":
		return optDef{3, optIPs}, true // §3.5
	case "domain-name-servers":
		return optDef{6, optIPs}, true // §3.8
	case "host-name":
		return optDef{12, optText}, true // §3.14
	case "domain-name":
		return optDef{15, optText}, true // §3.17
	case "root-path":
		return optDef{17, optText}, true // §3.19
	case "broadcast-address":
		return optDef{28, optIP}, true // §5.3
	}
	return optDef{}, false
}

type parser struct {
	file     string
	toks     []token
	pos      int
	comments map[int]bool      // lines with a '#' comment (lexed.comments)
	defs     map[string]optDef // options declared with "option NAME code N = TYPE;"
	rules    map[string]stmtRule
	errs     []config.Problem
}

// parseTree parses a whole file. Problems come in file order.
func parseTree(file string, data []byte) (*block, []config.Problem) {
	l := lex(file, data)
	p := &parser{file: file, toks: l.toks, comments: l.comments, defs: map[string]optDef{}, rules: statementRules()}
	root := &block{kind: blockGlobal, line: 1}
	p.body(root)
	p.classRefs()
	errs := append(p.errs, l.stray...)
	if l.fatal != nil {
		// The tokens end where the lexer gave up; what the parser then says
		// about the end of the file is an echo of the lexer's error.
		errs = slices.DeleteFunc(errs, func(e config.Problem) bool { return e.Line >= l.fatal.Line })
		errs = append(errs, *l.fatal)
	}
	slices.SortStableFunc(errs, func(x, y config.Problem) int { return x.Line - y.Line })
	return root, errs
}

// classRefs reports the classes that "allow members of" and "deny members
// of" name and the file declares nowhere, as dhcpd does ("no such class").
// pxed reads neither statement, nor the pool blocks where they belong, so
// it looks for them in the tokens: one run then says both that a pool is
// not read and that its class is misspelt.
func (p *parser) classRefs() {
	declared := map[string]bool{}
	for i, t := range p.toks[:len(p.toks)-1] {
		if w := strings.ToLower(t.text); t.kind == tokWord && (w == "class" || w == "subclass") && p.toks[i+1].kind != tokPunct {
			declared[p.toks[i+1].text] = true
		}
	}
	for i := 0; i+3 < len(p.toks); i++ {
		verb, members, of, name := p.toks[i], p.toks[i+1], p.toks[i+2], p.toks[i+3]
		if v := strings.ToLower(verb.text); verb.kind != tokWord || v != "allow" && v != "deny" ||
			!strings.EqualFold(members.text, "members") || !strings.EqualFold(of.text, "of") ||
			name.kind != tokString || declared[name.text] {
			continue
		}
		p.errorf(name.line, "%s members of %q: no class %q is declared in this file", strings.ToLower(verb.text), name.text, name.text)
	}
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// prevLine is the line of the last token consumed: where a missing ';'
// belongs, rather than on the line of whatever follows.
func (p *parser) prevLine() int {
	if p.pos == 0 {
		return 1
	}
	return p.toks[p.pos-1].line
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, config.Problem{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

// endStatement expects the ';' that ends the statement described by what.
// When it is missing the error says so at the statement's line. If what
// follows is on a later line, or closes the block, parsing goes on as if
// the ';' were there: a forgotten ';' is the classic mistake, and the next
// line is usually a statement of its own. If it is on the same line, the
// statement itself goes on in a way pxed does not read (a list without its
// commas, a word too many), and the rest of it is skipped.
func (p *parser) endStatement(what string) {
	if p.isPunct(";") {
		p.next()
		return
	}
	p.errorf(p.prevLine(), "expected ';' after %s, got %s", what, p.peek().describe())
	if t := p.peek(); t.line == p.prevLine() && !p.isPunct("}") && !p.isPunct("{") {
		p.skipStatement()
	}
}

// skipStatement skips the rest of an unsupported or malformed statement: to
// its ';', or over its braced block, whichever comes first. It never passes a
// '}' that closes the enclosing block.
func (p *parser) skipStatement() {
	for depth := 0; ; {
		t := p.peek()
		switch {
		case t.kind == tokEOF:
			return
		case t.kind != tokPunct:
		case t.text == ";" && depth == 0:
			p.next()
			return
		case t.text == "{":
			depth++
		case t.text == "}":
			if depth == 0 {
				return
			}
			depth--
			if depth == 0 {
				p.next()
				if p.isPunct(";") {
					p.next()
				}
				return
			}
		}
		p.next()
	}
}

// body parses statements into b until its closing '}' (or the end of the
// file for the top level).
func (p *parser) body(b *block) {
	for {
		t := p.peek()
		switch {
		case t.kind == tokEOF:
			if b.kind != blockGlobal {
				p.errorf(t.line, "expected '}' to close the %s block opened on line %d, got end of file", b.kind, b.line)
			}
			return
		case t.kind == tokPunct && t.text == "}":
			p.next()
			if b.kind != blockGlobal {
				return
			}
			p.errorf(t.line, "'}' closes no block")
		case t.kind == tokPunct && t.text == ";":
			p.next() // an empty statement, as dhcpd allows
		case t.kind != tokWord:
			p.errorf(t.line, "expected a statement, got %s", t.describe())
			p.next()
			p.skipStatement()
		default:
			p.statement(b)
		}
	}
}

// stmtRule says where a statement may stand and how the rest of it is read
// once its keyword is consumed.
type stmtRule struct {
	in    []blockKind
	parse func(p *parser, b *block, kw token, k string)
}

// statementRules is the subset: every statement pxed reads, by keyword.
func statementRules() map[string]stmtRule {
	anywhere := []blockKind{blockGlobal, blockSubnet, blockGroup, blockHost, blockClass}
	hostParents := []blockKind{blockGlobal, blockSubnet, blockGroup}
	top := []blockKind{blockGlobal}
	return map[string]stmtRule{
		"subnet":               {top, (*parser).subnet},
		"host":                 {hostParents, (*parser).host},
		"group":                {hostParents, (*parser).group},
		"class":                {top, (*parser).class},
		"authoritative":        {[]blockKind{blockGlobal, blockSubnet}, (*parser).authoritative},
		"not":                  {[]blockKind{blockGlobal, blockSubnet}, (*parser).notAuthoritative},
		"default-lease-time":   {[]blockKind{blockGlobal, blockSubnet}, (*parser).leaseTime},
		"max-lease-time":       {[]blockKind{blockGlobal, blockSubnet}, (*parser).leaseTime},
		"next-server":          {anywhere, (*parser).nextServer},
		"filename":             {anywhere, (*parser).filename},
		"option":               {anywhere, (*parser).option},
		"range":                {[]blockKind{blockSubnet}, (*parser).rangeStmt},
		"hardware":             {[]blockKind{blockHost}, (*parser).hardware},
		"fixed-address":        {[]blockKind{blockHost}, (*parser).fixedAddress},
		"match":                {[]blockKind{blockClass}, (*parser).match},
		"ddns-update-style":    {top, (*parser).ddnsStyle},
		"ddns-updates":         {anywhere, (*parser).ddnsSwitch},
		"update-static-leases": {anywhere, (*parser).ddnsSwitch},
		"ddns-domainname":      {top, (*parser).ddnsDomain},
		"ddns-rev-domainname":  {top, (*parser).ddnsDomain},
		"ddns-ttl":             {top, (*parser).ddnsTTL},
		"key":                  {top, (*parser).keyDecl},
		"zone":                 {top, (*parser).zoneDecl},
		"allow":                {[]blockKind{blockGlobal, blockSubnet}, (*parser).permit},
		"deny":                 {[]blockKind{blockGlobal, blockSubnet}, (*parser).permit},
		"ignore":               {[]blockKind{blockGlobal, blockSubnet}, (*parser).permit},
		"use-host-decl-names":  {top, (*parser).harmless},
	}
}

// statement parses one statement starting with a word.
func (p *parser) statement(b *block) {
	start := p.pos
	kw := p.next()
	k := strings.ToLower(kw.text)
	r, ok := p.rules[k]
	switch {
	case !ok && p.wrappedComment(start) && (p.statementFollows(start) || p.wordsLine(p.nextLine(start))):
		p.errorf(kw.line, "unknown statement %q: is this the rest of the comment on line %d? dhcpd.conf comments end at the line's end", kw.text, kw.line-1)
		p.skipLine(kw.line)
	case !ok && p.wordsLine(start) && p.statementFollows(start):
		// Words without ';' and a statement on the next line: a comment
		// without its '#' more likely than a statement running on.
		p.errorf(kw.line, "unknown statement %q: is this a comment? dhcpd.conf comments start with '#' (docs/dhcpd-conf.md lists the statements pxed reads)", kw.text)
		p.skipLine(kw.line)
	case !ok:
		p.errorf(kw.line, "%s is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)", k)
		p.skipStatement()
	case !slices.Contains(r.in, b.kind):
		p.errorf(kw.line, "%s is not supported in a %s block", k, b.kind)
		p.skipStatement()
	case p.wrappedComment(start) && p.statementFollows(start) && p.needsNextLine(b, r, start):
		// A keyword on a line of words after a comment, which would take
		// its value from the statement on the next line: it is more likely
		// the end of the comment, wrapped by an editor, than a statement.
		// Read it so: the next line is a statement.
		p.errorf(kw.line, "incomplete statement %q: is this the rest of the comment on line %d? dhcpd.conf comments end at the line's end", kw.text, kw.line-1)
		p.skipLine(kw.line)
	default:
		n, stmts, children := len(p.errs), len(b.stmts), len(b.children)
		r.parse(p, b, kw, k)
		switch {
		case len(p.errs) == n:
		case len(b.stmts) == stmts && len(b.children) == children:
			// A statement with an error that added nothing was skipped (a
			// missing ';' alone keeps it).
			b.failed = append(b.failed, k)
		}
	}
}

// needsNextLine reports whether the statement starting at token i is
// incomplete on its own line: it is parsed as if the file ended with the
// line, and whether that finds the statement cut short is kept, the rest
// undone. A missing ';' alone is not such a cut: it is reported at the
// statement's line, what is missing at the end of the file.
func (p *parser) needsNextLine(b *block, r stmtRule, i int) bool {
	end := p.nextLine(i)
	saved, n, stmts := p.toks[end], len(p.errs), len(b.stmts)
	p.toks[end] = token{tokEOF, "", saved.line}
	p.pos = i + 1
	r.parse(p, b, p.toks[i], strings.ToLower(p.toks[i].text))
	cut := len(p.errs) > n && p.errs[n].Line > p.toks[i].line
	p.toks[end], p.errs, b.stmts, p.pos = saved, p.errs[:n], b.stmts[:stmts], i+1
	return cut
}

// wrappedComment reports whether the statement starting at token i looks
// like the end of a comment wrapped onto a line of its own: it starts the
// line, the line holds words (and strings) only, no ';' or brace, and the
// line before has a '#' comment, or was such a line itself.
func (p *parser) wrappedComment(i int) bool {
	return p.comments[p.toks[i].line-1] && p.wordsLine(i)
}

// wordsLine reports whether token i starts its line and the line holds
// words (and strings) only, no ';' or brace.
func (p *parser) wordsLine(i int) bool {
	line := p.toks[i].line
	if i > 0 && p.toks[i-1].line == line {
		return false
	}
	for _, t := range p.toks[i:] {
		if t.line != line || t.kind == tokEOF {
			return true
		}
		if t.kind == tokPunct {
			return false
		}
	}
	return true
}

// statementFollows reports whether the first token on a line after that
// of token i starts a statement pxed knows, or closes the block, or ends
// the file: what a line after a comment's wrapped end looks like, and a
// statement's value does not.
func (p *parser) statementFollows(i int) bool {
	t := p.toks[p.nextLine(i)]
	_, known := p.rules[strings.ToLower(t.text)]
	return t.kind == tokEOF || t.kind == tokPunct && t.text == "}" || t.kind == tokWord && known
}

// nextLine returns the index of the first token on a line after that of
// token i, or of the tokEOF.
func (p *parser) nextLine(i int) int {
	line := p.toks[i].line
	for i < len(p.toks)-1 && p.toks[i].line == line {
		i++
	}
	return i
}

// skipLine skips the tokens on line, taken for the end of a comment: the
// line after it may be one too (wrappedComment).
func (p *parser) skipLine(line int) {
	for t := p.peek(); t.kind != tokEOF && t.line == line; t = p.peek() {
		p.next()
	}
	p.comments[line] = true
}

func (p *parser) authoritative(b *block, kw token, k string) {
	b.stmts = append(b.stmts, stmt{key: "authoritative", line: kw.line})
	p.endStatement("authoritative")
}

func (p *parser) notAuthoritative(b *block, kw token, k string) {
	if t := p.peek(); t.kind != tokWord || strings.ToLower(t.text) != "authoritative" {
		p.errorf(t.line, "expected authoritative after not, got %s", t.describe())
		p.skipStatement()
		return
	}
	p.next()
	b.stmts = append(b.stmts, stmt{key: "not authoritative", line: kw.line})
	p.endStatement("not authoritative")
}

func (p *parser) nextServer(b *block, kw token, k string) {
	if a, ok := p.address(k); ok {
		b.stmts = append(b.stmts, stmt{key: k, line: kw.line, addr: a})
		p.endStatement(k + " " + a.String())
	}
}

func (p *parser) filename(b *block, kw token, k string) {
	if s, ok := p.quoted(k); ok {
		b.stmts = append(b.stmts, stmt{key: k, line: kw.line, text: s})
		p.endStatement(k + " " + strconv.Quote(s))
	}
}

// harmless accepts the few statements whose only effect is what pxed does
// anyway, so that the usual preamble of a dhcpd.conf needs no editing: pxed
// sends a host's declared name as its host name (option 12). Other values
// of these are errors.
func (p *parser) harmless(b *block, kw token, k string) {
	want := map[string]string{"use-host-decl-names": "on"}[k]
	v := p.peek()
	if v.kind != tokWord || strings.ToLower(v.text) != want {
		p.errorf(kw.line, "%s is supported only as \"%s %s;\" at the top level, which is what pxed does anyway", k, k, want)
		p.skipStatement()
		return
	}
	p.next()
	p.endStatement(k + " " + want)
}

// permit reads the allow, deny and ignore statements of the subset:
// "allow booting;" at the top level (what pxed does anyway), and "allow
// bootp;", "deny bootp;" and "ignore bootp;" at the top level or in a
// subnet, which say whether BOOTP clients are answered there (dhcpd.conf(5):
// deny drops them with a log line, ignore without; pxed refuses either
// way). The key of the statement kept is "bootp", its text the verb.
func (p *parser) permit(b *block, kw token, k string) {
	v := p.peek()
	switch w := strings.ToLower(v.text); {
	case v.kind == tokWord && w == "booting" && k == "allow" && b.kind == blockGlobal:
		p.next()
		p.endStatement("allow booting")
	case v.kind == tokWord && w == "bootp":
		p.next()
		b.stmts = append(b.stmts, stmt{key: "bootp", line: kw.line, text: k})
		p.endStatement(k + " bootp")
	default:
		p.errorf(kw.line, "%s %s is not supported: pxed reads \"allow booting;\" at the top level and \"allow bootp;\", \"deny bootp;\", \"ignore bootp;\" at the top level or in a subnet", k, v.describe())
		p.skipStatement()
	}
}

// address reads one IPv4 address, the value of the statement what.
func (p *parser) address(what string) (netip.Addr, bool) {
	t := p.peek()
	a, err := netip.ParseAddr(t.text)
	if t.kind != tokWord || err != nil || !a.Is4() {
		p.errorf(t.line, "expected an IPv4 address after %s, got %s (pxed does not resolve host names here)", what, t.describe())
		p.skipStatement()
		return netip.Addr{}, false
	}
	p.next()
	return a, true
}

func (p *parser) quoted(what string) (string, bool) {
	t := p.peek()
	if t.kind != tokString {
		p.errorf(t.line, "expected a quoted string after %s, got %s", what, t.describe())
		p.skipStatement()
		return "", false
	}
	p.next()
	return t.text, true
}

// open expects the '{' that opens the block declared by what.
func (p *parser) open(what string) bool {
	if p.isPunct("{") {
		p.next()
		return true
	}
	p.errorf(p.prevLine(), "expected '{' after %s, got %s", what, p.peek().describe())
	p.skipStatement()
	return false
}

// subnet: subnet NETWORK netmask MASK { ... }
func (p *parser) subnet(parent *block, kw token, _ string) {
	net, ok := p.address("subnet")
	if !ok {
		return
	}
	if t := p.peek(); t.kind != tokWord || strings.ToLower(t.text) != "netmask" {
		p.errorf(t.line, "expected netmask after subnet %s, got %s", net, t.describe())
		p.skipStatement()
		return
	}
	p.next()
	mt := p.peek()
	mask, ok := p.address("netmask")
	if !ok {
		return
	}
	bits, ok := maskBits(mask)
	if !ok {
		p.errorf(mt.line, "netmask %s is not a contiguous mask like 255.255.255.0", mask)
		p.skipStatement()
		return
	}
	pfx := netip.PrefixFrom(net, bits)
	if pfx.Masked() != pfx {
		p.errorf(kw.line, "subnet %s has host bits set for netmask %s; the network is %s", net, mask, pfx.Masked().Addr())
		p.skipStatement()
		return
	}
	if !p.open(fmt.Sprintf("subnet %s netmask %s", net, mask)) {
		return
	}
	b := &block{kind: blockSubnet, line: kw.line, network: pfx}
	parent.children = append(parent.children, b)
	p.body(b)
}

// maskBits returns the prefix length of a contiguous netmask.
func maskBits(m netip.Addr) (int, bool) {
	a := m.As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return 0, false
	}
	return n, true
}

// host: host NAME { ... }. dhcpd takes a word as NAME, not a quoted string.
func (p *parser) host(parent *block, kw token, _ string) {
	t := p.peek()
	if t.kind != tokWord {
		p.errorf(t.line, "expected a host name after host, got %s", t.describe())
		p.skipStatement()
		return
	}
	p.next()
	if !p.open("host " + t.text) {
		return
	}
	b := &block{kind: blockHost, line: kw.line, name: t.text}
	parent.children = append(parent.children, b)
	p.body(b)
}

// group: group { ... }, optionally named.
func (p *parser) group(parent *block, kw token, _ string) {
	if t := p.peek(); t.kind == tokWord || t.kind == tokString {
		p.next()
	}
	if !p.open("group") {
		return
	}
	b := &block{kind: blockGroup, line: kw.line}
	parent.children = append(parent.children, b)
	p.body(b)
}

// class: class "NAME" { match if ...; next-server ...; filename ...; }
func (p *parser) class(parent *block, kw token, _ string) {
	t := p.peek()
	if t.kind != tokString && t.kind != tokWord {
		p.errorf(t.line, "expected a class name after class, got %s", t.describe())
		p.skipStatement()
		return
	}
	p.next()
	if !p.open("class " + strconv.Quote(t.text)) {
		return
	}
	b := &block{kind: blockClass, line: kw.line, name: t.text}
	parent.children = append(parent.children, b)
	p.body(b)
}

func (p *parser) leaseTime(b *block, kw token, k string) {
	t := p.peek()
	n, err := strconv.ParseUint(t.text, 10, 32)
	if t.kind != tokWord || err != nil {
		p.errorf(t.line, "expected a number of seconds after %s, got %s", k, t.describe())
		p.skipStatement()
		return
	}
	p.next()
	b.stmts = append(b.stmts, stmt{key: k, line: kw.line, dur: time.Duration(n) * time.Second})
	p.endStatement(k + " " + t.text)
}

// rangeStmt: range [dynamic-bootp] FIRST [LAST]; a single address is a
// range of one. dynamic-bootp opens the range to BOOTP clients too.
func (p *parser) rangeStmt(b *block, kw token, _ string) {
	dynamic := false
	if t := p.peek(); t.kind == tokWord && strings.EqualFold(t.text, "dynamic-bootp") {
		p.next()
		dynamic = true
	}
	first, ok := p.address("range")
	if !ok {
		return
	}
	last := first
	if t := p.peek(); t.kind == tokWord {
		if last, ok = p.address("range " + first.String()); !ok {
			return
		}
	}
	if last.Less(first) {
		p.errorf(kw.line, "range %s %s ends before it starts", first, last)
		p.skipStatement()
		return
	}
	r := config.Range{First: first, Last: last}
	b.stmts = append(b.stmts, stmt{key: "range", line: kw.line, rng: r, bootp: dynamic})
	p.endStatement(fmt.Sprintf("range %s %s", first, last))
}

// hardware ethernet MAC; dhcpd writes octets with one or two hex digits.
func (p *parser) hardware(b *block, kw token, _ string) {
	if t := p.peek(); t.kind != tokWord || !strings.EqualFold(t.text, "ethernet") {
		p.errorf(t.line, "expected ethernet after hardware, got %s (pxed matches Ethernet addresses only)", t.describe())
		p.skipStatement()
		return
	}
	p.next()
	t := p.peek()
	mac, ok := parseMAC(t.text)
	if t.kind != tokWord || !ok {
		p.errorf(t.line, "expected a MAC address like 00:18:e7:42:84:3a after hardware ethernet, got %s", t.describe())
		p.skipStatement()
		return
	}
	p.next()
	b.stmts = append(b.stmts, stmt{key: "hardware", line: kw.line, mac: mac})
	p.endStatement("hardware ethernet " + t.text)
}

func parseMAC(s string) (net.HardwareAddr, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return nil, false
	}
	mac := make(net.HardwareAddr, 6)
	for i, part := range parts {
		v, err := strconv.ParseUint(part, 16, 8)
		if err != nil || len(part) == 0 || len(part) > 2 {
			return nil, false
		}
		mac[i] = byte(v)
	}
	return mac, true
}

func (p *parser) fixedAddress(b *block, kw token, _ string) {
	a, ok := p.address("fixed-address")
	if !ok {
		return
	}
	if p.isPunct(",") {
		p.errorf(p.peek().line, "fixed-address lists more than one address: pxed gives a host one fixed address")
		p.skipStatement()
		return
	}
	b.stmts = append(b.stmts, stmt{key: "fixed-address", line: kw.line, addr: a})
	p.endStatement("fixed-address " + a.String())
}

// match if substring(option vendor-class-identifier, 0, N) = "PXEClient...";
// the one class test the import reads: every PXE client, or with a prefix
// "PXEClient:Arch:NNNNN" the clients of one architecture (PXE 2.1 vendor
// class format; RFC 4578 §2.1 numbers).
func (p *parser) match(b *block, kw token, _ string) {
	const form = `match if substring(option vendor-class-identifier, 0, 9) = "PXEClient"`
	want := []string{"if", "substring", "(", "option", "vendor-class-identifier", ",", "0", ","}
	for _, w := range want {
		if t := p.peek(); !strings.EqualFold(t.text, w) || t.kind == tokString {
			p.errorf(t.line, "only %s (or a \"PXEClient:Arch:NNNNN\" prefix) is supported as a class test; got %s where %q belongs", form, t.describe(), w)
			p.skipStatement()
			return
		}
		p.next()
	}
	lt := p.next()
	n, err := strconv.Atoi(lt.text)
	if lt.kind != tokWord || err != nil {
		p.errorf(lt.line, "expected the substring length, got %s", lt.describe())
		p.skipStatement()
		return
	}
	for _, w := range []string{")", "="} {
		if t := p.peek(); t.kind != tokPunct || t.text != w {
			p.errorf(t.line, "expected %q in %s, got %s", w, form, t.describe())
			p.skipStatement()
			return
		}
		p.next()
	}
	st := p.peek()
	if st.kind != tokString {
		p.errorf(st.line, "expected a quoted string to compare with, got %s", st.describe())
		p.skipStatement()
		return
	}
	p.next()
	if len(st.text) != n {
		p.errorf(st.line, "substring length %d does not match %q, which is %d characters long", n, st.text, len(st.text))
		p.skipStatement()
		return
	}
	s := stmt{key: "match", line: kw.line}
	switch rest, ok := strings.CutPrefix(st.text, "PXEClient"); {
	case ok && rest == "":
	case ok && strings.HasPrefix(rest, ":Arch:") && len(rest) == len(":Arch:00000"):
		v, err := strconv.ParseUint(rest[len(":Arch:"):], 10, 16)
		if err != nil {
			p.errorf(st.line, "%q: the architecture is not a 5-digit number", st.text)
			p.skipStatement()
			return
		}
		a := pxe.Arch(v)
		s.arch = &a
	default:
		p.errorf(st.line, "class test compares with %q: pxed supports \"PXEClient\" and \"PXEClient:Arch:NNNNN\" only", st.text)
		p.skipStatement()
		return
	}
	b.stmts = append(b.stmts, s)
	p.endStatement("the class test")
}

// option NAME VALUE; or the declaration option NAME code N = TYPE;
func (p *parser) option(b *block, kw token, _ string) {
	nt := p.peek()
	if nt.kind != tokWord {
		p.errorf(nt.line, "expected an option name after option, got %s", nt.describe())
		p.skipStatement()
		return
	}
	p.next()
	name := strings.ToLower(nt.text)
	if strings.EqualFold(p.peek().text, "code") && p.peek().kind == tokWord {
		p.next()
		p.declareOption(b, kw, name)
		return
	}
	if name == "space" || strings.Contains(name, ".") {
		p.errorf(kw.line, "option %s: option spaces are not supported; declare the encapsulating option (such as 43) as type string and give its bytes in hex", nt.text)
		p.skipStatement()
		return
	}
	def, ok := builtinOption(name)
	if !ok {
		def, ok = p.defs[name]
	}
	if !ok {
		p.errorf(nt.line, "unknown option %q: pxed reads %s, and options declared first with \"option NAME code N = TYPE;\"", nt.text, builtinList())
		p.skipStatement()
		return
	}
	o, desc, ok := p.optionValue(name, def)
	if !ok {
		return
	}
	b.stmts = append(b.stmts, stmt{key: "option", line: kw.line, opt: o, name: name})
	p.endStatement("option " + name + " " + desc)
}

func builtinList() string {
	return "subnet-mask, routers, domain-name-servers, host-name, domain-name, root-path, broadcast-address"
}

// declareOption: option NAME code N = TYPE; where TYPE is one pxed carries.
func (p *parser) declareOption(b *block, kw token, name string) {
	if b.kind != blockGlobal {
		p.errorf(kw.line, "declare option %s at the top level, not in a %s block", name, b.kind)
		p.skipStatement()
		return
	}
	ct := p.next()
	code, err := strconv.Atoi(ct.text)
	if ct.kind != tokWord || err != nil || code < 1 || code > 254 {
		p.errorf(ct.line, "expected an option code 1..254 after option %s code, got %s", name, ct.describe())
		p.skipStatement()
		return
	}
	if !p.isPunct("=") {
		p.errorf(p.peek().line, "expected '=' after option %s code %d, got %s", name, code, p.peek().describe())
		p.skipStatement()
		return
	}
	p.next()
	var words []string
	line := p.peek().line
	for t := p.peek(); t.kind == tokWord; t = p.peek() {
		words = append(words, strings.ToLower(t.text))
		p.next()
	}
	typ, ok := map[string]optType{
		"ip-address": optIP, "array of ip-address": optIPs, "text": optText, "string": optBytes,
		"unsigned integer 8": optUint8, "unsigned integer 16": optUint16, "unsigned integer 32": optUint32,
		"boolean": optBoolean,
	}[strings.Join(words, " ")]
	if !ok {
		p.errorf(line, "option type %q is not supported: use ip-address, array of ip-address, text, string, unsigned integer 8/16/32 or boolean", strings.Join(words, " "))
		p.skipStatement()
		return
	}
	if _, builtin := builtinOption(name); builtin {
		p.errorf(kw.line, "option %s is already known; declare a new name", name)
		p.skipStatement()
		return
	}
	if _, dup := p.defs[name]; dup {
		p.errorf(kw.line, "option %s is declared twice", name)
		p.skipStatement()
		return
	}
	p.defs[name] = optDef{code: code, typ: typ}
	p.endStatement(fmt.Sprintf("option %s code %d = %s", name, code, strings.Join(words, " ")))
}

// optionValue reads the value of option name as its type says, returning the
// Option and a short description for the missing-';' message.
func (p *parser) optionValue(name string, def optDef) (config.Option, string, bool) {
	o := config.Option{Code: def.code}
	var desc string
	var ok bool
	switch def.typ {
	case optIP, optIPs:
		desc, ok = p.ipValue(&o, def.typ == optIPs)
	case optText:
		desc, ok = p.textValue(&o)
	case optBytes:
		desc, ok = p.bytesValue(&o)
	case optBoolean:
		desc, ok = p.boolValue(&o)
	default:
		desc, ok = p.uintValue(&o, def.typ)
	}
	if !ok {
		// The reader stops at the token it cannot take, unconsumed.
		t := p.peek()
		p.errorf(t.line, "expected %s as the value of option %s, got %s", def.typ.expected(), name, t.describe())
		p.skipStatement()
		return config.Option{}, "", false
	}
	return o, desc, true
}

// expected says what a value of the type looks like, for the error when
// one does not.
func (t optType) expected() string {
	switch t {
	case optIP, optIPs:
		return "an IPv4 address"
	case optText:
		return "a quoted string"
	case optBytes:
		return "a quoted string or colon-separated hex bytes"
	case optBoolean:
		return "true, false, on or off"
	}
	return fmt.Sprintf("a number 0..%d", t.max())
}

// max is the largest value of an unsigned integer type.
func (t optType) max() uint64 {
	switch t {
	case optUint8:
		return math.MaxUint8
	case optUint16:
		return math.MaxUint16
	case optUint32:
		return math.MaxUint32
	}
	return 0
}

// ipValue reads an IPv4 address, or with list a comma-separated list of them.
func (p *parser) ipValue(o *config.Option, list bool) (string, bool) {
	var s []string
	for {
		t := p.peek()
		a, err := netip.ParseAddr(t.text)
		if t.kind != tokWord || err != nil || !a.Is4() {
			return "", false
		}
		p.next()
		o.IP = append(o.IP, config.Addr{Addr: a})
		s = append(s, a.String())
		if !list || !p.isPunct(",") {
			return strings.Join(s, ", "), true
		}
		p.next()
	}
}

// textValue reads a quoted string.
func (p *parser) textValue(o *config.Option) (string, bool) {
	t := p.peek()
	if t.kind != tokString {
		return "", false
	}
	p.next()
	o.String = &t.text
	return strconv.Quote(t.text), true
}

// bytesValue reads a quoted string or colon-separated hex bytes.
func (p *parser) bytesValue(o *config.Option) (string, bool) {
	t := p.peek()
	switch {
	case t.kind == tokString:
		p.next()
		o.String = &t.text
		return strconv.Quote(t.text), true
	case t.kind == tokWord:
		if _, err := config.ParseHex(t.text); err != nil || strings.Contains(t.text, "::") {
			return "", false
		}
		p.next()
		h := strings.ToLower(t.text)
		o.Hex = &h
		return t.text, true
	}
	return "", false
}

// boolValue reads true, false, on or off.
func (p *parser) boolValue(o *config.Option) (string, bool) {
	t := p.peek()
	switch strings.ToLower(t.text) {
	case "true", "on":
		o.Bool = ptrTo(true)
	case "false", "off":
		o.Bool = ptrTo(false)
	default:
		return "", false
	}
	p.next()
	return t.text, true
}

// uintValue reads an unsigned integer that fits its type.
func (p *parser) uintValue(o *config.Option, typ optType) (string, bool) {
	t := p.peek()
	v, err := strconv.ParseUint(t.text, 10, 64)
	if t.kind != tokWord || err != nil || v > typ.max() {
		return "", false
	}
	p.next()
	switch typ {
	case optUint8:
		o.Uint8 = ptrTo(uint8(v))
	case optUint16:
		o.Uint16 = ptrTo(uint16(v))
	default:
		o.Uint32 = ptrTo(uint32(v))
	}
	return t.text, true
}

func ptrTo[T any](v T) *T { return &v }
