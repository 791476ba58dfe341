//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the pxed binary a directory (binDir) for this run and removes it after the last test.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pxed-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
