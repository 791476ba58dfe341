package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pxed's own token file left empty (a crash while an older pxed created
// it) does not stop the next start: it gets a new token. A file the
// operator named, or the CLI reading pxed's, says it is empty.
func TestLoadTokenEmptyFile(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", "\n", " \n\n"} {
		dir := t.TempDir()
		p := filepath.Join(dir, "api-token")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadToken(p, false); err == nil || !strings.Contains(err.Error(), p+" is empty") {
			t.Errorf("file %q without create: %v, want an error saying %s is empty", content, err, p)
		}
		tok, err := LoadToken(p, true)
		if err != nil {
			t.Fatalf("file %q with create: %v", content, err)
		}
		if len(tok) != 64 {
			t.Errorf("new token %q, want 64 hex digits", tok)
		}
		again, err := LoadToken(p, false)
		if err != nil || string(again) != string(tok) {
			t.Errorf("reading the new token back: %q, %v; want %q", again, err, tok)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("new token file: %v, %v; want mode 0600", fi.Mode().Perm(), err)
		}
		// Written through a temporary file, which is gone.
		if es, _ := os.ReadDir(dir); len(es) != 1 {
			t.Errorf("data directory holds %d entries, want the token file alone", len(es))
		}
	}
}

// A token too short is the operator's to fix, even in pxed's own file:
// the error names the file and the file is left alone.
func TestLoadTokenTooShortIsKept(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(p, []byte("short\nmore lines\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{false, true} {
		if _, err := LoadToken(p, create); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "shorter than 16") {
			t.Errorf("create=%v: %v, want an error naming %s", create, err, p)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "short\nmore lines\n" {
		t.Errorf("file changed to %q", b)
	}
}
