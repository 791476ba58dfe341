package rules

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"
)

// NameFacts are what a host-name template may name: {{.Serial}},
// {{.Vendor}}, {{.Product}}, {{.UUID}}, {{.MAC}}, {{.Arch}}. A new field is
// a new name: CompileHostname accepts it at once.
type NameFacts struct {
	Serial  string // SMBIOS serial number
	Vendor  string // SMBIOS system vendor
	Product string // SMBIOS product name
	UUID    string // SMBIOS UUID (the inventory's, else option 97)
	MAC     string // lower case with hyphens: 52-54-00-12-34-56
	Arch    string // bios, efi-x64, …; "" when the client sent none
}

// NameFactsOf takes the names out of a machine's facts; the inventory's
// fields are empty while it is not in.
func NameFactsOf(f Facts) NameFacts {
	n := NameFacts{UUID: f.UUID, MAC: strings.ReplaceAll(f.MAC.String(), ":", "-")}
	if f.HasArch {
		n.Arch = f.Arch.String()
	}
	if inv := f.Inventory; inv != nil {
		n.Serial, n.Vendor, n.Product = inv.DMI.Serial, inv.DMI.Vendor, inv.DMI.Product
		if inv.DMI.UUID != "" {
			n.UUID = inv.DMI.UUID
		}
	}
	return n
}

// maxTemplateOutput bounds what a template may write before it is made a
// host name (of at most 63 characters): a {{range}} cannot fill memory.
const maxTemplateOutput = 4096

// Template is a compiled host-name template.
type Template struct {
	text string
	t    *template.Template
}

// CompileHostname reads a host-name template ("node-{{.Serial}}") and
// refuses one that could not render for any machine: bad syntax, or a
// name NameFacts does not have (the error lists those it has).
func CompileHostname(text string) (*Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("host name template is empty")
	}
	// A missing key is an error, so that the check below, which executes
	// over a map, refuses an unknown name.
	t, err := template.New("hostname").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "template: "))
	}
	fields := reflect.VisibleFields(reflect.TypeFor[NameFacts]())
	names := make([]string, 0, len(fields))
	all := make(map[string]string, len(fields))
	for _, f := range fields {
		names = append(names, f.Name)
		all[f.Name] = "x"
	}
	if err := t.Execute(&limitWriter{n: maxTemplateOutput}, all); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: ")
		if errors.As(err, new(template.ExecError)) {
			return nil, fmt.Errorf("%s (names: %s)", msg, strings.Join(names, ", "))
		}
		return nil, errors.New(msg)
	}
	return &Template{text: text, t: t}, nil
}

// String is the template as written.
func (t *Template) String() string { return t.text }

// Render names the machine with facts f: the template filled in, then
// made a host name (MakeHostname).
func (t *Template) Render(f Facts) (string, error) {
	var b strings.Builder
	if err := t.t.Execute(&limitWriter{w: &b, n: maxTemplateOutput}, NameFactsOf(f)); err != nil {
		return "", fmt.Errorf("host name template %q: %w", t.text, err)
	}
	name, err := MakeHostname(b.String())
	if err != nil {
		return "", fmt.Errorf("host name template %q: %w", t.text, err)
	}
	return name, nil
}

// MaxLabel is the longest label of a host name (RFC 1035 §2.3.4, kept by
// RFC 1123 §2.1).
const MaxLabel = 63

// MakeHostname makes s a host name of one label (RFC 1123 §2.1: letters,
// digits and hyphens, not starting or ending with a hyphen, at most 63
// long): lower case, every run of other characters (spaces, dots,
// underscores, letters outside ASCII) one hyphen, hyphens trimmed from both
// ends, cut to 63. The domain is the subnet's (domain_name), so a dot in a
// serial number does not start one. Nothing left is an error.
func MakeHostname(s string) (string, error) {
	b := make([]byte, 0, min(len(s), MaxLabel+1))
	gap := false
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if gap && len(b) > 0 {
				b = append(b, '-')
			}
			gap = false
			b = append(b, byte(r))
			if len(b) >= MaxLabel {
				break
			}
			continue
		}
		gap = true
	}
	name := strings.TrimRight(string(b[:min(len(b), MaxLabel)]), "-")
	if name == "" {
		return "", fmt.Errorf("%q has no letter or digit to make a host name of", s)
	}
	return name, nil
}

// limitWriter writes at most n bytes to w (nil: discards), then fails.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("writes more than %d bytes", maxTemplateOutput)
	}
	l.n -= len(p)
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}
