package config

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/pxe"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ and generated sections of docs/config.md")

const docPath = "../../docs/config.md"

const (
	archBegin = "<!-- begin arches: generated from pxe.Arches() by TestDocArches; refresh with go test ./internal/config -run TestDocArches -update -->\n"
	archEnd   = "<!-- end arches -->\n"
)

// archTable is the Markdown table of architecture names docs/config.md shows.
func archTable() string {
	var b strings.Builder
	b.WriteString("| Name | Option 93 | Architecture | Boot file fetched by |\n")
	b.WriteString("|------|----------:|--------------|----------------------|\n")
	for _, a := range pxe.Arches() {
		by := "TFTP"
		if a.HTTP() {
			by = "HTTP (URL)"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", a, uint16(a), a.Description(), by)
	}
	return b.String()
}

// TestDocArches fails when the architecture table in docs/config.md differs
// from the registry in internal/pxe; -update rewrites it.
func TestDocArches(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	before, rest, ok1 := strings.Cut(doc, archBegin)
	got, after, ok2 := strings.Cut(rest, archEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers\n%s...\n%s", docPath, archBegin, archEnd)
	}
	want := archTable()
	if *update {
		if err := os.WriteFile(docPath, []byte(before+archBegin+want+archEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("architecture table in %s is out of date (-want +got); run go test ./internal/config -run TestDocArches -update:\n%s", docPath, diff)
	}
}

// fieldPaths lists the YAML path of every Config field as docs/config.md
// names it: "dhcp.subnets[].pools". Option fields are documented once, as
// "options[].code", and boot overrides refer to the top-level boot fields.
func fieldPaths() []string {
	var out []string
	leaf := map[reflect.Type]bool{
		reflect.TypeFor[Duration](): true, reflect.TypeFor[Addr](): true, reflect.TypeFor[Prefix](): true,
		reflect.TypeFor[Range](): true, reflect.TypeFor[MAC](): true,
	}
	var walk func(t reflect.Type, prefix string, top bool)
	walk = func(t reflect.Type, prefix string, top bool) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := prefix + name
			out = append(out, p)
			ft := f.Type
			switch {
			case ft.Kind() == reflect.Slice && ft.Elem() == reflect.TypeFor[Option]():
				// documented once, under options[]
			case ft.Kind() == reflect.Pointer && ft.Elem() == reflect.TypeFor[Boot]() && !top:
				// a boot override has the fields of the top-level boot
			case ft.Kind() == reflect.Struct && !leaf[ft]:
				walk(ft, p+".", top)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && !leaf[ft.Elem()]:
				walk(ft.Elem(), p+"[].", false)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "", true)
	walk(reflect.TypeFor[Option](), "options[].", false)
	return out
}

// TestDocFields fails when a field of Config is missing from docs/config.md.
func TestDocFields(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fieldPaths() {
		if !strings.Contains(string(data), "`"+p+"`") {
			t.Errorf("%s does not document `%s`", docPath, p)
		}
	}
}
