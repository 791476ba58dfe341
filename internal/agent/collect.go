//go:build linux

package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/u-root/u-root/pkg/smbios"
)

// Paths Collect reads, relative to the root of the fs.FS it is given (the
// machine's /).
const (
	dmiTables   = "sys/firmware/dmi/tables"
	efiDir      = "sys/firmware/efi"
	efiVars     = "sys/firmware/efi/efivars"
	cpuInfo     = "proc/cpuinfo"
	memInfo     = "proc/meminfo"
	cpuSysfs    = "sys/devices/system/cpu"
	blockSysfs  = "sys/block"
	netSysfs    = "sys/class/net"
	secureBootV = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c" // EFI_GLOBAL_VARIABLE GUID, UEFI 2.10 §3.3
)

// Collect reads the machine's inventory from fsys, a view of its root file
// system with /proc, /sys and efivarfs mounted. booted is the MAC of the
// NIC the machine network-booted from (pxed.mac). A part that cannot be
// read is left empty and its reason joined into the error: an inventory
// with a few holes is still worth sending.
func Collect(fsys fs.FS, booted string, now time.Time) (inventory.Inventory, error) {
	inv := inventory.Inventory{Collected: now.UTC()}
	var errs []error
	info, err := readSMBIOS(fsys)
	if err != nil {
		errs = append(errs, err)
	} else {
		inv.DMI = dmiOf(info)
	}
	inv.Firmware = firmwareOf(fsys)
	if inv.CPU, err = cpuOf(fsys, info); err != nil {
		errs = append(errs, err)
	}
	if inv.MemoryBytes, err = memoryOf(fsys, info); err != nil {
		errs = append(errs, err)
	}
	if inv.Disks, err = disksOf(fsys); err != nil {
		errs = append(errs, err)
	}
	if inv.NICs, err = nicsOf(fsys, booted); err != nil {
		errs = append(errs, err)
	}
	return inv, errors.Join(errs...)
}

// readSMBIOS parses the tables the kernel exports (drivers/firmware/dmi-sysfs,
// the entry point and the structure table as the firmware laid them out).
func readSMBIOS(fsys fs.FS) (*smbios.Info, error) {
	entry, err := fs.ReadFile(fsys, path.Join(dmiTables, "smbios_entry_point"))
	if err != nil {
		return nil, fmt.Errorf("reading SMBIOS entry point: %w", err)
	}
	data, err := fs.ReadFile(fsys, path.Join(dmiTables, "DMI"))
	if err != nil {
		return nil, fmt.Errorf("reading SMBIOS tables: %w", err)
	}
	info, err := smbios.ParseInfo(entry, data)
	if err != nil {
		return nil, fmt.Errorf("parsing SMBIOS tables: %w", err)
	}
	return info, nil
}

// dmiOf is the system identity (SMBIOS type 1, DSP0134 §7.2).
func dmiOf(info *smbios.Info) inventory.DMI {
	si, err := info.GetSystemInfo()
	if err != nil {
		return inventory.DMI{}
	}
	d := inventory.DMI{
		Vendor:  clean(si.Manufacturer),
		Product: clean(si.ProductName),
		Serial:  clean(si.SerialNumber),
	}
	// All zeros: "not present but settable"; all ones: "not present"
	// (§7.2.1). Neither names a machine.
	if u := si.UUID; u != (smbios.UUID{}) && u != (smbios.UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		d.UUID = strings.ToLower(u.String())
	}
	return d
}

// clean drops the padding and placeholders firmware leaves in SMBIOS
// strings.
func clean(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "not specified", "to be filled by o.e.m.", "default string", "none", "n/a":
		return ""
	}
	return s
}

// firmwareOf tells UEFI from BIOS by the kernel's EFI directory, which
// exists only when the kernel was started by UEFI firmware, and reads
// Secure Boot's state from its EFI variable: 4 bytes of attributes, then
// one byte, 1 when Secure Boot is enforced (UEFI 2.10 §3.3).
func firmwareOf(fsys fs.FS) inventory.Firmware {
	if _, err := fs.Stat(fsys, efiDir); err != nil {
		return inventory.Firmware{Mode: inventory.ModeBIOS}
	}
	fw := inventory.Firmware{Mode: inventory.ModeUEFI}
	if v, err := fs.ReadFile(fsys, path.Join(efiVars, secureBootV)); err == nil && len(v) == 5 {
		fw.SecureBoot = v[4] == 1
	}
	return fw
}

// cpuOf counts the logical CPUs the kernel brought up, their cores and
// sockets from the sysfs topology (Documentation/ABI/stable/sysfs-devices-system-cpu),
// else from /proc/cpuinfo's physical and core ids. The model is cpuinfo's
// "model name", else the SMBIOS processor's version string (type 4).
func cpuOf(fsys fs.FS, info *smbios.Info) (inventory.CPU, error) {
	var c inventory.CPU
	type core struct{ pkg, id string }
	sockets, cores := map[string]bool{}, map[core]bool{}
	data, err := fs.ReadFile(fsys, cpuInfo)
	if err != nil {
		return c, fmt.Errorf("reading CPUs: %w", err)
	}
	var pkg string
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			c.Threads++
			pkg = "0"
		case "model name":
			if c.Model == "" {
				c.Model = v
			}
		case "physical id":
			pkg = v
			sockets[v] = true
		case "core id":
			cores[core{pkg, v}] = true
		}
	}
	// sysfs is the kernel's own view; cpuinfo lacks the ids on some
	// architectures (arm64).
	if ents, err := fs.ReadDir(fsys, cpuSysfs); err == nil {
		ss, cs, n := map[string]bool{}, map[core]bool{}, 0
		for _, e := range ents {
			if !isCPUDir(e.Name()) {
				continue
			}
			top := path.Join(cpuSysfs, e.Name(), "topology")
			p, err1 := readString(fsys, path.Join(top, "physical_package_id"))
			id, err2 := readString(fsys, path.Join(top, "core_id"))
			if err1 != nil || err2 != nil {
				continue // offline CPUs have no topology
			}
			n++
			ss[p] = true
			cs[core{p, id}] = true
		}
		if n > 0 {
			sockets, cores, c.Threads = ss, cs, n
		}
	}
	c.Sockets, c.Cores = len(sockets), len(cores)
	if c.Threads > 0 {
		// A malformed cpuinfo (ids repeated within a processor's block)
		// must not report more cores than logical CPUs.
		c.Cores = min(max(c.Cores, 1), c.Threads)
		c.Sockets = min(max(c.Sockets, 1), c.Cores)
	} else {
		c.Sockets, c.Cores = 0, 0
	}
	if c.Model == "" && info != nil {
		if ps, err := info.GetProcessorInfo(); err == nil && len(ps) > 0 {
			c.Model = clean(ps[0].Version)
		}
	}
	return c, nil
}

func isCPUDir(name string) bool {
	n, ok := strings.CutPrefix(name, "cpu")
	if !ok || n == "" {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// memoryOf is the memory installed: the sum of the SMBIOS memory devices
// (type 17, DSP0134 §7.18), else the kernel's MemTotal (what it manages,
// somewhat less than installed).
func memoryOf(fsys fs.FS, info *smbios.Info) (uint64, error) {
	if info != nil {
		if mds, err := info.GetMemoryDevices(); err == nil {
			var sum uint64
			for _, md := range mds {
				sum += md.GetSizeBytes()
			}
			if sum > 0 {
				return sum, nil
			}
		}
	}
	data, err := fs.ReadFile(fsys, memInfo)
	if err != nil {
		return 0, fmt.Errorf("reading memory: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb * 1024, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("reading memory: no MemTotal in %s", memInfo)
}

// notDisks are the block devices that are no machine's disk: loops, RAM
// disks, compressed swap, optical drives, floppies, network block devices
// (/sys/block lists whole devices only; partitions are below them).
var notDisks = []string{"loop", "ram", "zram", "sr", "fd", "nbd"}

// disksOf lists the disks under /sys/block. The size file counts 512-byte
// sectors whatever the device's own sector size (include/linux/blk_types.h
// SECTOR_SHIFT).
func disksOf(fsys fs.FS) ([]inventory.Disk, error) {
	ents, err := fs.ReadDir(fsys, blockSysfs)
	if err != nil {
		return nil, fmt.Errorf("reading disks: %w", err)
	}
	var disks []inventory.Disk
	for _, e := range ents {
		name := e.Name()
		if slices.ContainsFunc(notDisks, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		dir := path.Join(blockSysfs, name)
		sectors, err := readUint(fsys, path.Join(dir, "size"))
		if err != nil || sectors == 0 {
			continue // an empty card reader, a device going away
		}
		d := inventory.Disk{Name: name, SizeBytes: sectors * 512}
		d.Model, _ = readString(fsys, path.Join(dir, "device", "model"))
		d.Serial = diskSerial(fsys, dir)
		if r, err := readString(fsys, path.Join(dir, "queue", "rotational")); err == nil {
			d.Rotational = r == "1"
		}
		disks = append(disks, d)
	}
	return disks, nil
}

// diskSerial is where each driver family puts it: virtio-blk in the disk's
// own serial, NVMe in the controller's, SCSI and SATA (through libata's
// SCSI translation) in VPD page 0x80, Unit Serial Number (SPC-4 §7.8.16):
// a 4-byte header, then the serial padded with spaces.
func diskSerial(fsys fs.FS, dir string) string {
	for _, f := range []string{"serial", "device/serial"} {
		if s, err := readString(fsys, path.Join(dir, f)); err == nil && s != "" {
			return s
		}
	}
	if b, err := fs.ReadFile(fsys, path.Join(dir, "device", "vpd_pg80")); err == nil && len(b) > 4 {
		return strings.TrimSpace(string(bytes.Trim(b[4:], "\x00")))
	}
	return ""
}

// nicsOf lists the Ethernet interfaces backed by a device (bridges, bonds
// and other virtual links have no device link in sysfs).
func nicsOf(fsys fs.FS, booted string) ([]inventory.NIC, error) {
	ents, err := fs.ReadDir(fsys, netSysfs)
	if err != nil {
		return nil, fmt.Errorf("reading NICs: %w", err)
	}
	booted = strings.ToLower(booted)
	var nics []inventory.NIC
	for _, e := range ents {
		dir := path.Join(netSysfs, e.Name())
		// type 1 is ARPHRD_ETHER (include/uapi/linux/if_arp.h).
		if t, err := readString(fsys, path.Join(dir, "type")); err != nil || t != "1" {
			continue
		}
		if _, err := fs.Stat(fsys, path.Join(dir, "device")); err != nil {
			continue
		}
		mac, err := readString(fsys, path.Join(dir, "address"))
		if err != nil {
			continue
		}
		n := inventory.NIC{Name: e.Name(), MAC: strings.ToLower(mac)}
		if target, err := fs.ReadLink(fsys, path.Join(dir, "device", "driver")); err == nil {
			n.Driver = path.Base(target)
		}
		// Reading speed fails (EINVAL) while the link is down; -1 is
		// "unknown" (SPEED_UNKNOWN, include/uapi/linux/ethtool.h).
		if s, err := readString(fsys, path.Join(dir, "speed")); err == nil {
			if v, err := strconv.Atoi(s); err == nil && v > 0 {
				n.SpeedMbps = v
			}
		}
		n.Booted = booted != "" && n.MAC == booted
		nics = append(nics, n)
	}
	return nics, nil
}

func readString(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func readUint(fsys fs.FS, name string) (uint64, error) {
	s, err := readString(fsys, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(s, 10, 64)
}
