package cmdline

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"
)

// Facts are what a profile's command line may use, as {{.MAC}}, {{.IP}},
// {{.Hostname}}, {{.Server}}, {{.ServerHost}}, {{.Arch}}, {{.Console}}, {{.UUID}},
// {{.HTTPBase}}, {{.CallbackURL}}, {{.RootPath}}, {{.MachineID}}, {{.LogHost}},
// {{.LogPort}}. A new field is a new fact: Check accepts it at once.
type Facts struct {
	MAC      string // 00:18:e7:42:84:3a
	IP       string
	Hostname string
	Server   string // the address the machine reached pxed on
	// ServerHost is Server as the host of a URL: 192.168.1.21, or
	// [2001:db8:1::21] in brackets (RFC 3986 §3.2.2), for
	// url=http://{{.ServerHost}}:8080/preseed.cfg on either family.
	ServerHost string
	Arch       string // bios, efi-x64, …
	// Console is the kernel console for the machine's architecture:
	// ttyS0,115200 on x86, ttyAMA0 on ARM, or what its profile names
	// (config.Profile.ForArch), for console={{.Console}}.
	Console string
	UUID    string
	// HTTPBase, when set ("http://192.168.1.21:8080/"), is where the loader
	// can fetch the kernel and initrds over HTTP instead of TFTP.
	HTTPBase string
	// CallbackURL is the URL the installed system POSTs to when the host
	// is set to netboot once (empty otherwise): after it, the host boots
	// local.
	CallbackURL string
	// RootPath is the machine's root path, the DHCP option 17 pxed sends
	// it (its profile's root_path rendered from the facts above,
	// config.RootPath), for nfsroot={{.RootPath}}.
	RootPath string
	// MachineID is the machine's systemd machine ID (machine-id(5): 32
	// lower-case hex digits), the same on every boot: for a diskless
	// machine's /etc/machine-id (internal/rootimage.MachineID).
	MachineID string
	// Agent is, on a discovery boot only, what pxed's agent needs on the
	// kernel command line to report back: pxed.server=URL pxed.token=T
	// pxed.mac=MAC (docs/discovery.md); empty on any other boot.
	Agent string
	// LogHost and LogPort are pxed's syslog receiver (syslog.listen) as
	// the machine reaches it: LogHost is Server, the address pxed has on
	// the machine's network; both empty when pxed receives no syslog. For
	// the Debian installer's log_host={{.LogHost}} log_port={{.LogPort}}.
	LogHost string
	LogPort string
}

// Names lists the facts a template may name, in the order of Facts.
func Names() []string {
	fields := reflect.VisibleFields(reflect.TypeFor[Facts]())
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Name)
	}
	return names
}

// parse reads a command line template. A missing key is an error, so that
// Check, which executes over a map, refuses an unknown fact.
func parse(text string) (*template.Template, error) {
	return template.New("cmdline").Option("missingkey=error").Parse(text)
}

// Expand fills f into the template text. Text without "{{" is returned as
// it is, without parsing.
func Expand(text string, f Facts) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Check reports a template that would fail when a machine boots: bad
// syntax, or a fact that does not exist. It executes the template with
// every fact set, so that the error shows at check time, not as a loader
// that finds no config. The errors name the template "cmdline" and, for an
// unknown fact, list the facts there are.
func Check(text string) error {
	return CheckFacts(text, Names())
}

// CheckFacts is Check for a template that may name only the facts names: a
// template that other facts are made from (a profile's root_path) may not
// name those.
func CheckFacts(text string, names []string) error {
	if !strings.Contains(text, "{{") {
		return nil
	}
	t, err := parse(text)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "template: "))
	}
	facts := make(map[string]string, len(names))
	for _, n := range names {
		facts[n] = "x"
	}
	if err := t.Execute(io.Discard, facts); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: ")
		return fmt.Errorf("%s (facts: %s)", msg, strings.Join(names, ", "))
	}
	return nil
}
