package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/pxe"
)

// loaderRef is a UEFI boot program a boot section names: the field (path),
// the file of the root it is (name), and the architecture of its files key
// (anyArch for the section's file, which every architecture without a key
// of its own is given).
type loaderRef struct {
	path, name string
	arch       pxe.Arch
	anyArch    bool
}

// key is what a lower section's ref is overridden by: the same
// architecture family, or file by file.
func (r loaderRef) key() string {
	if r.anyArch {
		return "file"
	}
	return r.arch.Family().String()
}

// loaderRefs lists the boot programs section b (at path) names that UEFI
// firmware may run and pxed can read: its file, and its files entries of
// UEFI architectures, PXE or HTTP Boot, when they are paths of the root or
// URLs of pxed's own HTTP server. Other URLs are another server's files.
func (v *validator) loaderRefs(path string, b *Boot) []loaderRef {
	if b == nil {
		return nil
	}
	var out []loaderRef
	if b.File != "" && !pxe.IsURL(b.File) {
		out = append(out, loaderRef{path: path + ".file", name: b.File, anyArch: true})
	}
	keys := make([]string, 0, len(b.Files))
	for k := range b.Files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		arch, err := pxe.ParseArch(k)
		if err != nil || !strings.Contains(arch.String(), "efi-") {
			continue // reported by boot(), or not UEFI (BIOS has no Secure Boot)
		}
		name := b.Files[k]
		if pxe.IsURL(name) {
			u, err := url.Parse(name)
			if err != nil || !v.ownHTTP(u) {
				continue
			}
			name = u.Path
		}
		if name != "" {
			out = append(out, loaderRef{path: path + ".files." + k, name: name, arch: arch})
		}
	}
	return out
}

// loaderImage is what the root holds under a loader's name: its PE header,
// or why it has none (efiimage.ErrNotPE).
type loaderImage struct {
	img efiimage.Image
	err error
}

// readLoaders inspects every loader the configuration names, once per
// file: the one place Validate reads inside the files of the root. A file
// that cannot be opened is left out; the existence check reports it.
func (v *validator) readLoaders(root *os.Root) map[string]loaderImage {
	out := map[string]loaderImage{}
	for _, st := range v.bootStacks() {
		for _, l := range st {
			for _, r := range v.loaderRefs(l.path, l.boot) {
				name := rootName(r.name)
				if _, done := out[name]; done || !validRootName(name) {
					continue
				}
				f, err := root.Open(name)
				if err != nil {
					continue
				}
				if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
					f.Close()
					continue // a directory: reported as one
				}
				img, err := efiimage.Inspect(f)
				f.Close()
				out[name] = loaderImage{img, err}
			}
		}
	}
	return out
}

// rootName is a file's name relative to the root, as the TFTP server
// resolves it.
func rootName(name string) string { return path.Clean(strings.TrimLeft(name, "/")) }

func validRootName(name string) bool {
	return name != "." && !strings.HasPrefix(name, "../") && name != ".."
}

// layer is one boot section that applies to a machine: its field path and
// the section.
type layer struct {
	path string
	boot *Boot
}

// bootStacks lists every stack of boot sections a machine can get,
// network-wide first, in the order MergeBoot lays them: each subnet (none
// when there are none), under it each host that can be there (and no host:
// an unknown machine), with the loader of the profile it boots (and
// without, where netboot once or never boots the local disk).
func (v *validator) bootStacks() [][]layer {
	c := v.c
	var out [][]layer
	subnets := []int{-1}
	if len(c.DHCP.Subnets) > 0 {
		subnets = subnets[:0]
		for i := range c.DHCP.Subnets {
			subnets = append(subnets, i)
		}
	}
	for _, si := range subnets {
		base := []layer{{"boot", &c.Boot}}
		profile := c.Boot.Profile
		if si >= 0 {
			s := &c.DHCP.Subnets[si]
			if s.Boot != nil {
				base = append(base, layer{fmt.Sprintf("dhcp.subnets[%d].boot", si), s.Boot})
				if s.Boot.Profile != "" {
					profile = s.Boot.Profile
				}
			}
		}
		out = append(out, v.withProfile(base, profile)...)
		for hi := range c.Hosts {
			h := &c.Hosts[hi]
			if si >= 0 && h.IP.IsValid() && !c.DHCP.Subnets[si].Network.Contains(h.IP.Addr) {
				continue
			}
			hostLayer := layer{fmt.Sprintf("hosts[%d].boot", hi), h.Boot}
			hp := profile
			if h.Boot != nil && h.Boot.Profile != "" {
				hp = h.Boot.Profile
			}
			var stacks [][]layer
			switch h.Netboot {
			case NetbootNever:
				stacks = [][]layer{slices.Clone(base)}
			case NetbootOnce:
				stacks = append(v.withProfile(base, hp), slices.Clone(base))
			default:
				stacks = v.withProfile(base, hp)
			}
			for _, st := range stacks {
				if h.Boot != nil {
					st = append(st, hostLayer)
				}
				out = append(out, st)
			}
		}
	}
	return out
}

// withProfile is base with the loader of profile name on top, if it has
// one.
func (v *validator) withProfile(base []layer, name string) [][]layer {
	st := slices.Clone(base)
	for i := range v.c.Profiles {
		if p := &v.c.Profiles[i]; p.Name == name && p.Loader != nil {
			st = append(st, layer{fmt.Sprintf("profiles[%d].loader", i), p.Loader})
		}
	}
	return [][]layer{st}
}

// peMachines is the PE machine type UEFI firmware of each architecture
// family runs (UEFI specification §2.1.1, the machine types it lists per
// processor binding).
var peMachines = map[pxe.Arch]efiimage.Machine{
	pxe.ArchIA32UEFI: efiimage.MachineI386, pxe.ArchX86HTTP: efiimage.MachineI386,
	pxe.ArchX64UEFI: efiimage.MachineAMD64, pxe.ArchX64HTTP: efiimage.MachineAMD64,
	pxe.ArchARM32UEFI: efiimage.MachineARM, pxe.ArchARM32HTTP: efiimage.MachineARM,
	pxe.ArchARM64UEFI: efiimage.MachineARM64, pxe.ArchARM64HTTP: efiimage.MachineARM64,
	pxe.ArchRISCV64UEFI: efiimage.MachineRISCV64, pxe.ArchRISCV64HTTP: efiimage.MachineRISCV64,
}

// loaders checks the loaders against what reads them, from images (what
// readLoaders found): a PE image built for another machine than its files
// key's architecture, in every scope; under secure_boot, a loader that is
// not signed. Each field is reported once, however many machines get it.
func (v *validator) loaders(images map[string]loaderImage) {
	reported := map[string]bool{}
	report := func(p, format string, args ...any) {
		if !reported[p] {
			reported[p] = true
			v.add(p, format, args...)
		}
	}
	for _, st := range v.bootStacks() {
		secure, securePath := false, ""
		effective := map[string]loaderRef{}
		for _, l := range st {
			if l.boot == nil {
				continue
			}
			if l.boot.SecureBoot != nil {
				secure, securePath = *l.boot.SecureBoot, l.path+".secure_boot"
			}
			for _, r := range v.loaderRefs(l.path, l.boot) {
				effective[r.key()] = r
				if why := wrongMachine(r, images[rootName(r.name)]); why != "" {
					report(r.path, "%s", why)
				}
			}
		}
		if !secure {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(effective)) {
			r := effective[k]
			if why := unsigned(r, images[rootName(r.name)]); why != "" {
				report(r.path, "%s, and machines with secure_boot on%s are given it: their firmware refuses a loader that is not signed (UEFI Secure Boot); give them a signed one, such as Debian's shim (debian-installer/amd64/bootnetx64.efi), which loads the signed GRUB beside it", why, v.at(securePath))
			}
		}
	}
}

// wrongMachine says why loader r cannot run on its architecture's
// firmware, or "": a PE image of another machine type.
func wrongMachine(r loaderRef, li loaderImage) string {
	want, ok := peMachines[r.arch.Family()]
	if r.anyArch || !ok || li.err != nil || li.img == (efiimage.Image{}) || li.img.Machine == want {
		return ""
	}
	return fmt.Sprintf("UEFI loader %q for %s is built for %s (PE machine %#04x), not %s (%#04x): the firmware will not start it",
		r.name, r.arch, li.img.Machine, uint16(li.img.Machine), want, uint16(want))
}

// unsigned says why loader r cannot pass Secure Boot, or "": it is no
// UEFI program at all, or its PE certificate table holds no signature. A
// file that is not PE, given as file, is a BIOS loader (pxelinux.0), which
// UEFI machines with their own files entry never get.
func unsigned(r loaderRef, li loaderImage) string {
	what := fmt.Sprintf("UEFI loader %q for %s", r.name, r.arch)
	if r.anyArch {
		what = fmt.Sprintf("boot file %q", r.name)
	}
	switch {
	case li.err != nil && errors.Is(li.err, efiimage.ErrNotPE) && !r.anyArch:
		return what + " is not a UEFI program (no PE header)"
	case li.err != nil || li.img == (efiimage.Image{}):
		return ""
	case li.img.CertBytes == 0:
		return what + " is not signed (its PE certificate table is empty; iPXE's builds, for one, are never signed)"
	case !li.img.Signed:
		return what + " carries no Authenticode signature in its PE certificate table"
	}
	return ""
}
