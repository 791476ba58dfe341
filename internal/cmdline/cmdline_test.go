package cmdline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEveryFactChecksAndExpands walks the fields of Facts: a template
// naming one must pass Check and expand to the field's value, so that a
// template Check accepts never fails when a machine boots.
func TestEveryFactChecksAndExpands(t *testing.T) {
	t.Parallel()
	var f Facts
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		v.Field(i).SetString("value-" + v.Type().Field(i).Name)
	}
	names := Names()
	if len(names) != v.NumField() {
		t.Fatalf("Names() = %v, Facts has %d fields", names, v.NumField())
	}
	for _, n := range names {
		text := "a={{." + n + "}} b"
		if err := Check(text); err != nil {
			t.Errorf("Check(%q) = %v", text, err)
		}
		got, err := Expand(text, f)
		if want := "a=value-" + n + " b"; err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, want string }{
		{"console=ttyS0 ---", ""},
		{"hostname={{.Hostname}} url={{.CallbackURL}}", ""},
		{"{{if .UUID}}uuid={{.UUID}}{{end}}", ""},
		{"hostname={{.Hostnme}}", `cmdline:1:11: executing "cmdline" at <.Hostnme>: map has no entry for key "Hostnme" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, RootPath, MachineID, Agent, LogHost, LogPort)`},
		{"x={{.MAC", "cmdline:1: unclosed action"},
	} {
		var got string
		if err := Check(c.text); err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Check(%q) (-want +got):\n%s", c.text, diff)
		}
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	f := Facts{MAC: "00:18:e7:42:84:3a", Hostname: "station-01"}
	if _, err := Expand("x={{.MAC", f); err == nil || !strings.Contains(err.Error(), "unclosed action") {
		t.Errorf("Expand of a broken template: %v", err)
	}
	if got, err := Expand("no template here", f); err != nil || got != "no template here" {
		t.Errorf("Expand of plain text: %q, %v", got, err)
	}
	if got, err := Expand("host={{.Hostname}} mac={{.MAC}}", f); err != nil || got != "host=station-01 mac=00:18:e7:42:84:3a" {
		t.Errorf("Expand: %q, %v", got, err)
	}
	if _, err := Expand("{{.Nope}}", f); err == nil {
		t.Error("Expand of an unknown fact succeeded")
	}
}

// TestCheckFacts: a template checked against some facts may name only those.
func TestCheckFacts(t *testing.T) {
	t.Parallel()
	if err := CheckFacts("{{.Server}}:/srv/{{.Hostname}}", []string{"Server", "Hostname"}); err != nil {
		t.Errorf("CheckFacts of allowed facts: %v", err)
	}
	err := CheckFacts("{{.RootPath}}", []string{"Server", "Hostname"})
	if err == nil || !strings.Contains(err.Error(), `map has no entry for key "RootPath" (facts: Server, Hostname)`) {
		t.Errorf("CheckFacts of a fact left out: %v", err)
	}
}
