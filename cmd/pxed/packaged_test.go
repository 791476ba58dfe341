package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The config the packages install (deploy/pxed.yaml) passes pxed check as
// it is, over an empty TFTP root (the package's /srv/tftp): a fresh install
// must not fail its unit's ExecStartPre.
func TestPackagedConfigChecks(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join("..", "..", "deploy", "pxed.yaml")
	code, stdout, stderr := runCLI("check", "--config", cfg, "--tftp-root", t.TempDir())
	if code != 0 || !strings.Contains(stdout, "ok: 1 subnet(s), 0 host(s)") {
		t.Errorf("pxed check %s: exit %d\nstdout: %s\nstderr: %s", cfg, code, stdout, stderr)
	}
}
