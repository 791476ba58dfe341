package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	for _, content := range []string{"first\n", "second, longer than the first\n", ""} {
		if err := WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("after writing %q: read %q, %v", content, got, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640", fi.Mode().Perm())
		}
	}
	// No temporary file is left behind.
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want the file alone", names)
	}
}

// A write that fails leaves the file as it was and no temporary file.
func TestWriteFileFailureLeavesOldContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "catalog.json")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory where the file should go: the rename fails.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(sub, []byte("new"), 0o600)
	if err == nil || !strings.Contains(err.Error(), "replacing "+sub) {
		t.Fatalf("replacing a non-empty directory: %v, want an error naming it", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("other file changed to %q", got)
	}
	if names := dirNames(t, dir); strings.Join(names, " ") != "catalog.json sub" {
		t.Errorf("directory holds %v after the failure, want catalog.json and sub alone", names)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("writing into a missing directory gave no error")
	}
}

func TestSyncDir(t *testing.T) {
	t.Parallel()
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "syncing directory") {
		t.Fatalf("SyncDir of a missing directory: %v", err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
