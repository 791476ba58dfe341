package agentimage

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Drivers are the modules the discovery initramfs carries by default: NICs
// and disk controllers found in servers and in virtual machines, and what
// the agent itself needs (efivarfs, to read Secure Boot's state). Names as
// modinfo shows them; modules a tree lacks are skipped.
func Drivers() []string {
	return []string{
		// NICs
		"e1000", "e1000e", "igb", "igc", "ixgbe", "ixgbevf", "i40e", "iavf", "ice",
		"bnxt_en", "tg3", "bnx2", "bnx2x", "r8169", "atlantic", "qede", "be2net",
		"mlx4_en", "mlx5_core", "virtio_net", "vmxnet3", "hv_netvsc", "ena", "gve",
		// Disks and their buses
		"ahci", "ata_piix", "nvme", "virtio_blk", "virtio_scsi", "virtio_pci", "sd_mod",
		"megaraid_sas", "mpt3sas", "hpsa", "smartpqi", "aacraid", "vmw_pvscsi", "hv_storvsc",
		"xen_blkfront", "mmc_block", "sdhci_pci", "usb_storage", "uas",
		"xhci_pci", "ehci_pci",
		// The agent's own: Secure Boot's state; a virtual machine's RNG,
		// without which getrandom(2) may block for minutes where the
		// CPU has none (DHCP's transaction IDs need it).
		"efivarfs", "virtio_rng",
	}
}

// depTree is a module tree's modules.dep: each module's path (relative to
// the tree) and the modules it needs, as depmod(8) writes them.
type depTree struct {
	deps   map[string][]string // path → dependencies' paths
	byName map[string]string   // module name → path
}

// readDeps parses modules.dep: "path: dep dep ...", one module a line
// (depmod(8), modules.dep(5)).
func readDeps(r io.Reader) (*depTree, error) {
	t := &depTree{deps: map[string][]string{}, byName: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mod, deps, ok := strings.Cut(line, ":")
		if !ok || mod == "" {
			return nil, fmt.Errorf("modules.dep line %d: no module before ':'", n)
		}
		t.deps[mod] = strings.Fields(deps)
		t.byName[moduleName(mod)] = mod
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading modules.dep: %w", err)
	}
	return t, nil
}

// moduleName is a module's name from its file: the base without .ko and a
// compression suffix, '-' read as '_' (the kernel does the same,
// kernel/module/main.c and kmod's modname_normalize).
func moduleName(p string) string {
	b := path.Base(p)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// closure is the modules of names found in the tree and all they depend
// on, each after its dependencies: the order to load them in. Names the
// tree lacks (built in, or not built) are returned apart.
func (t *depTree) closure(names []string) (order, missing []string) {
	done := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if done[p] {
			return
		}
		done[p] = true
		for _, d := range t.deps[p] {
			visit(d)
		}
		order = append(order, p)
	}
	for _, n := range names {
		p, ok := t.byName[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			missing = append(missing, n)
			continue
		}
		visit(p)
	}
	return order, missing
}

// kernelConfig reads the kernel's config beside its module tree: for
// /lib/modules/<version>, /boot/config-<version> of the same root. It
// returns nil when there is none.
func kernelConfig(tree string) map[string]string {
	tree = filepath.Clean(tree)
	version := filepath.Base(tree)
	root := filepath.Dir(filepath.Dir(filepath.Dir(tree))) // above lib/modules
	f, err := os.Open(filepath.Join(root, "boot", "config-"+version))
	if err != nil {
		return nil
	}
	defer f.Close()
	cfg := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			cfg[k] = v
		}
	}
	return cfg
}
