package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// buildVersion is pxed's version: the one -ldflags "-X main.version=..."
// set (release builds, make build), else the module version the Go
// toolchain recorded. `go install github.com/pxed/pxed/cmd/pxed@v1.2.3`
// records v1.2.3; a build in a checkout records a pseudo-version from
// the commit (Go 1.24 and later), or "(devel)" when VCS stamping is off.
func buildVersion(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" {
		return ldflags
	}
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	if c, _ := buildCommit(bi); c != "" {
		return "dev-" + c[:min(12, len(c))]
	}
	return "dev"
}

// buildCommit is the commit the binary was built from and whether the work
// tree had changes: the vcs.revision and vcs.modified settings the Go
// toolchain stamps when it builds in a checkout (go build -buildvcs). A
// binary built by `go install module@version` has none: it was built from
// the module's zip, not a checkout.
func buildCommit(bi *debug.BuildInfo) (rev string, modified bool) {
	if bi == nil {
		return "", false
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return rev, modified
}

// versionText is what pxed version prints: the version, the commit (when
// known) and the Go release that built the binary, one per line.
func versionText(ldflags string, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pxed %s\n", buildVersion(ldflags, bi))
	if rev, modified := buildCommit(bi); rev != "" {
		if modified {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "commit %s\n", rev)
	}
	if bi != nil && bi.GoVersion != "" {
		fmt.Fprintf(&b, "built with %s\n", bi.GoVersion)
	}
	return b.String()
}

// readBuildInfo is the running binary's build information, nil if it has
// none (a binary built without module support).
func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// versionString is the version alone, for the log.
func versionString() string { return buildVersion(version, readBuildInfo()) }
