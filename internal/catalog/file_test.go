package catalog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/catalog/storetest"
)

func TestFileStoreContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) catalog.Store {
			s, err := catalog.OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

// A damaged catalog file stops pxed with the file named, rather than
// starting with an empty catalog that would silently drop hosts.
func TestFileStoreDamaged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, catalog.FileName), []byte(`{"hosts": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := catalog.OpenFile(dir)
	if err == nil || !strings.Contains(err.Error(), catalog.FileName) {
		t.Fatalf("OpenFile of a damaged file = %v, want an error naming %s", err, catalog.FileName)
	}
}
