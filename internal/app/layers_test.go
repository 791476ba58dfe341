package app

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestImportsFollowArchitecture holds docs/architecture.md to the code:
// every package named in its table of levels imports only packages on
// lower levels, and every package of the tree has a level.
func TestImportsFollowArchitecture(t *testing.T) {
	t.Parallel()
	level := docLevels(t)
	const mod = "github.com/pxed/pxed/"
	dirs, err := filepath.Glob("../../internal/*")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, "../../cmd/pxed")
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if name == "pxed" {
			name = "cmd/pxed"
		}
		own, ok := level[name]
		if !ok {
			t.Errorf("package %s has no level in docs/architecture.md", name)
			continue
		}
		for _, imp := range imports(t, dir) {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "internal/")
			if l, ok := level[dep]; ok && l >= own {
				t.Errorf("%s (level %d) imports %s (level %d): imports must point down", name, own, dep, l)
			}
		}
	}
}

// docLevels reads the "N  pkg pkg" lines of the architecture page.
func docLevels(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^([0-9])  (.*)$`)
	level := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		text, _, _ := strings.Cut(m[2], "(")
		for _, p := range strings.Fields(text) {
			level[p] = n
		}
	}
	if len(level) < 10 {
		t.Fatalf("found %d packages in docs/architecture.md's levels; the table moved?", len(level))
	}
	return level
}

// imports lists what the non-test Go files in dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range af.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			out = append(out, p)
		}
	}
	return out
}
