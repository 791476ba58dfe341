package config

import (
	"fmt"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/iscsi"
)

// SAN is a profile's iSCSI boot: iPXE attaches the target as a disk and
// boots it (sanboot), or, with Hook, attaches it and boots the profile's
// kernel, which finds the disk described in the iBFT (sanhook: to install
// onto it). The same target is the machine's DHCP root path (option 17),
// which firmware with an iSCSI client of its own reads.
type SAN struct {
	// Target is an RFC 4173 root path, iscsi:<server>:<protocol>:<port>:<LUN>:<name>,
	// written as a template over the machine's facts (cmdline.Facts):
	// iscsi:{{.Server}}::::iqn.2026-12.lan.example:{{.Hostname}}.
	Target string `yaml:"target" json:"target"`
	// Hook attaches the disk and then boots the profile's kernel and
	// initrds instead of the disk.
	Hook bool `yaml:"hook" json:"hook,omitempty"`
}

// RootPath is s's target for the machine f describes: the template
// expanded, and refused unless it is an iSCSI root path (RFC 4173 §5),
// since a machine's iSCSI client would refuse it.
func (s *SAN) RootPath(f cmdline.Facts) (string, error) {
	rp, err := cmdline.Expand(s.Target, f)
	if err != nil {
		return "", fmt.Errorf("san target: %w", err)
	}
	if _, err := iscsi.Parse(rp); err != nil {
		return "", fmt.Errorf("san target %q: %w", rp, err)
	}
	return rp, nil
}

// exampleFacts stand for a machine when a target is checked before any
// machine boots it: every fact set, as a real machine's would be.
func exampleFacts() cmdline.Facts {
	return cmdline.Facts{
		MAC: "00:18:e7:42:84:3a", IP: "192.168.1.101", Hostname: "station-01",
		Server: "192.168.1.21", ServerHost: "192.168.1.21", Arch: "bios",
		Console: "ttyS0,115200", UUID: "8a1b7c2e-0000-4000-8000-00000000002a",
		HTTPBase: "http://192.168.1.21:8080/", CallbackURL: "http://192.168.1.21:8080/api/v1/hosts/station-01/installed?token=x",
		LogHost: "192.168.1.21", LogPort: "514",
	}
}

// san checks the san section of profile p at path: a target that is a
// template over the facts and, rendered for a machine, an iSCSI root path;
// a kernel with hook (what boots once the disk is attached), and none
// without (the disk boots, so a kernel would never run).
func (v *validator) san(path string, p *Profile) {
	s := p.SAN
	if s == nil {
		return
	}
	path += ".san"
	switch {
	case s.Target == "":
		v.add(path, "profile %q san has no target: give an iSCSI root path, iscsi:<server>:<protocol>:<port>:<LUN>:<target name> (RFC 4173)", p.Name)
	case cmdline.CheckFacts(s.Target, rootPathFacts()) != nil:
		// A target is a root path: it may name every fact but RootPath,
		// which it defines.
		v.add(path+".target", "profile %q san target: %v", p.Name, cmdline.CheckFacts(s.Target, rootPathFacts()))
	default:
		if _, err := s.RootPath(exampleFacts()); err != nil {
			v.add(path+".target", "profile %q: %v", p.Name, err)
		}
	}
	if p.RootPath != "" {
		// Option 17 of a SAN machine is its target: iPXE attaches the
		// root path it is given before it runs its script.
		v.add(path, "profile %q has a root_path and a san: its root path (DHCP option 17) is the SAN target; remove root_path", p.Name)
	}
	hasFiles := p.Kernel != "" || len(p.Initrd) > 0 || len(p.Arch) > 0 || p.Cmdline != ""
	switch {
	case s.Hook && p.Kernel == "":
		v.add(path+".hook", "profile %q san hook attaches the disk and then boots the profile's kernel, but it has none", p.Name)
	case !s.Hook && hasFiles:
		v.add(path, "profile %q boots its SAN disk, so its kernel, initrds and command line would never be used: remove them, or set san.hook: true to attach the disk and boot the kernel", p.Name)
	}
}
