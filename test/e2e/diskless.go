//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// disklessCache is where scripts/diskless-root builds the Debian root the
// diskless tests boot: root/, vmlinuz, initrd.img (NFS root), ram.tar.
const disklessCache = "/var/cache/pxed/diskless-root"

// buildDiskless runs scripts/diskless-root once per run of the test binary:
// it builds the root into the cache the first time on a machine (minutes)
// and returns at once when the cache is up to date.
var buildDiskless = sync.OnceValues(func() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "diskless-root"), disklessCache)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("scripts/diskless-root: %v\n%s", err, out)
	}
	return disklessCache, nil
})

// disklessRoot returns the directory of the diskless Debian root, building
// it first if this machine has none (see scripts/diskless-root).
func disklessRoot(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	requireTools(t, "mmdebstrap")
	dir, err := buildDiskless()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
