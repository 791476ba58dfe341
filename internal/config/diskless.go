package config

import (
	"fmt"
	"slices"

	"github.com/pxed/pxed/internal/cmdline"
)

// maxRootPath is the longest root path one DHCP option carries: an
// option's length is one octet (RFC 2132 §2).
const maxRootPath = 255

// RootPath is the root path machine f gets when it boots p (RFC 2132
// §3.19, option 17: "the path-name that contains the client's root disk"),
// "" for none: p's root_path rendered from the machine's facts. f.RootPath
// is not read. DHCP sends it as option 17 to the machine, and a profile's
// command line names it as {{.RootPath}} (nfsroot={{.RootPath}}), so the
// kernel and the DHCP reply agree on one path. An error means no option 17.
//
// A SAN profile (pxed check refuses it a root_path) sends its iSCSI target
// (RFC 4173), which firmware with an iSCSI client of its own reads and iPXE
// attaches before it runs its boot file (see profile.ipxeSAN).
func RootPath(p *Profile, f cmdline.Facts) (string, error) {
	if p == nil {
		return "", nil
	}
	if p.RootPath == "" {
		if p.SAN != nil {
			return p.SAN.RootPath(f)
		}
		return "", nil
	}
	f.RootPath = ""
	s, err := cmdline.Expand(p.RootPath, f)
	if err != nil {
		return "", fmt.Errorf("profile %s root_path: %w", p.Name, err)
	}
	if len(s) > maxRootPath {
		return "", fmt.Errorf("profile %s root_path: %d bytes, more than the %d of a DHCP option", p.Name, len(s), maxRootPath)
	}
	return s, nil
}

// rootPathFacts are the facts a root_path may name: all but RootPath
// itself, which is made from it.
func rootPathFacts() []string {
	return slices.DeleteFunc(cmdline.Names(), func(n string) bool { return n == "RootPath" })
}

// rootPath checks a profile's root_path: a template over the machine's
// facts (not {{.RootPath}}, which it defines), short enough for one DHCP
// option before its facts are filled in.
func (v *validator) rootPath(path string, p *Profile) {
	if p.RootPath == "" {
		return
	}
	if err := cmdline.CheckFacts(p.RootPath, rootPathFacts()); err != nil {
		v.add(path, "profile %q root_path: %v", p.Name, err)
		return
	}
	if len(p.RootPath) > maxRootPath {
		v.add(path, "profile %q root_path is %d bytes; DHCP option 17 holds %d (RFC 2132 §2)", p.Name, len(p.RootPath), maxRootPath)
	}
}
