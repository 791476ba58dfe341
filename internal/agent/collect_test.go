//go:build linux

package agent

import (
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/inventory"
)

// The trees under testdata are copies of a machine's files:
//   - qemu-bios, qemu-uefi: a QEMU guest (-m 1536, -smbios
//     type=1,serial=PXED-TEST-1, an 8 GiB virtio disk, a 16 GiB IDE disk,
//     an e1000 52:54:00:a9:00:01 and a virtio-net 52:54:00:a9:00:02;
//     SeaBIOS on pc, OVMF on q35) booted with Debian 12's kernel and the
//     discovery initramfs's modules, its files dumped from within;
//   - host: the virtual machine these tests were written on (no SMBIOS
//     tables, two vCPUs, a loop device and zram to skip, a virtual ifb
//     link and lo that are no NICs).
func TestCollect(t *testing.T) {
	qemuDisks := []inventory.Disk{
		{Name: "sda", SizeBytes: 16 << 30, Model: "QEMU HARDDISK", Serial: "QM00001", Rotational: true},
		{Name: "vda", SizeBytes: 8 << 30, Rotational: true},
	}
	qemuNICs := []inventory.NIC{
		{Name: "eth0", MAC: "52:54:00:a9:00:01", Driver: "e1000", Booted: true},
		{Name: "eth1", MAC: "52:54:00:a9:00:02", Driver: "virtio_net"},
	}
	qemuCPU := inventory.CPU{Model: "QEMU Virtual CPU version 2.5+", Sockets: 1, Cores: 1, Threads: 1}
	tests := []struct {
		tree    string
		want    inventory.Inventory
		wantErr bool
	}{
		{tree: "qemu-bios", want: inventory.Inventory{
			DMI:      inventory.DMI{Vendor: "QEMU", Product: "Standard PC (i440FX + PIIX, 1996)", Serial: "PXED-TEST-1"},
			Firmware: inventory.Firmware{Mode: inventory.ModeBIOS},
			CPU:      qemuCPU, MemoryBytes: 1536 << 20, Disks: qemuDisks, NICs: qemuNICs,
		}},
		{tree: "qemu-uefi", want: inventory.Inventory{
			DMI:      inventory.DMI{Vendor: "QEMU", Product: "Standard PC (Q35 + ICH9, 2009)", Serial: "PXED-TEST-1"},
			Firmware: inventory.Firmware{Mode: inventory.ModeUEFI},
			CPU:      qemuCPU, MemoryBytes: 1536 << 20, Disks: qemuDisks, NICs: qemuNICs,
		}},
		{tree: "host", wantErr: true, want: inventory.Inventory{
			Firmware: inventory.Firmware{Mode: inventory.ModeBIOS},
			CPU:      inventory.CPU{Model: "Intel(R) Xeon(R) Processor", Sockets: 1, Cores: 2, Threads: 2},
			// No SMBIOS: the kernel's MemTotal.
			MemoryBytes: 25276203008,
			Disks:       []inventory.Disk{{Name: "vda", SizeBytes: 256 << 30, Serial: "overlayblk", Rotational: true}},
			NICs:        []inventory.NIC{{Name: "eth0", MAC: "02:fc:00:00:00:01", Driver: "virtio_net"}},
		}},
	}
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			got, err := Collect(os.DirFS("testdata/"+tt.tree), "52:54:00:A9:00:01", now)
			if (err != nil) != tt.wantErr {
				t.Errorf("Collect error = %v, want one: %v", err, tt.wantErr)
			}
			tt.want.Collected = now
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Collect (-want +got):\n%s", d)
			}
		})
	}
}

// TestCollectParts: what the QEMU trees do not show.
func TestCollectParts(t *testing.T) {
	secureBoot := func(v byte) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte{0x06, 0, 0, 0, v}}
	}
	tests := []struct {
		name  string
		files fstest.MapFS
		want  inventory.Inventory
	}{
		{
			name: "secure boot enforced",
			files: fstest.MapFS{
				"sys/firmware/efi/efivars/" + secureBootV: secureBoot(1),
			},
			want: inventory.Inventory{Firmware: inventory.Firmware{Mode: inventory.ModeUEFI, SecureBoot: true}},
		},
		{
			name: "secure boot off",
			files: fstest.MapFS{
				"sys/firmware/efi/efivars/" + secureBootV: secureBoot(0),
			},
			want: inventory.Inventory{Firmware: inventory.Firmware{Mode: inventory.ModeUEFI}},
		},
		{
			name: "link speeds, an NVMe disk, a CD drive",
			files: fstest.MapFS{
				"sys/class/net/eno1/type":            {Data: []byte("1\n")},
				"sys/class/net/eno1/address":         {Data: []byte("3C:EC:EF:00:11:22\n")},
				"sys/class/net/eno1/speed":           {Data: []byte("10000\n")},
				"sys/class/net/eno1/device/driver":   {Data: []byte("../../../bus/pci/drivers/ixgbe"), Mode: os.ModeSymlink},
				"sys/class/net/eno2/type":            {Data: []byte("1\n")},
				"sys/class/net/eno2/address":         {Data: []byte("3c:ec:ef:00:11:23\n")},
				"sys/class/net/eno2/speed":           {Data: []byte("-1\n")},
				"sys/class/net/eno2/device/vendor":   {Data: []byte("0x8086\n")},
				"sys/class/net/ib0/type":             {Data: []byte("32\n")}, // InfiniBand
				"sys/class/net/ib0/device/vendor":    {Data: []byte("0x15b3\n")},
				"sys/block/nvme0n1/size":             {Data: []byte("3750748848\n")},
				"sys/block/nvme0n1/device/model":     {Data: []byte("SAMSUNG MZQL23T8HCLS-00A07              \n")},
				"sys/block/nvme0n1/device/serial":    {Data: []byte("S64HNE0R912345      \n")},
				"sys/block/nvme0n1/queue/rotational": {Data: []byte("0\n")},
				"sys/block/sr0/size":                 {Data: []byte("2097151\n")},
				"sys/block/sdb/size":                 {Data: []byte("0\n")}, // an empty card reader
			},
			want: inventory.Inventory{
				Firmware: inventory.Firmware{Mode: inventory.ModeBIOS},
				Disks: []inventory.Disk{{Name: "nvme0n1", SizeBytes: 3750748848 * 512,
					Model: "SAMSUNG MZQL23T8HCLS-00A07", Serial: "S64HNE0R912345"}},
				NICs: []inventory.NIC{
					{Name: "eno1", MAC: "3c:ec:ef:00:11:22", Driver: "ixgbe", SpeedMbps: 10000},
					{Name: "eno2", MAC: "3c:ec:ef:00:11:23", Booted: true},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Collect(tt.files, "3c:ec:ef:00:11:23", time.Time{})
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Collect (-want +got):\n%s", d)
			}
		})
	}
}

// FuzzCollect: whatever the firmware's tables and the kernel's files
// hold, Collect returns.
func FuzzCollect(f *testing.F) {
	entry, _ := os.ReadFile("testdata/qemu-bios/sys/firmware/dmi/tables/smbios_entry_point")
	dmi, _ := os.ReadFile("testdata/qemu-bios/sys/firmware/dmi/tables/DMI")
	cpuinfo, _ := os.ReadFile("testdata/host/proc/cpuinfo")
	f.Add(entry, dmi, cpuinfo, []byte("MemTotal: 1024 kB\n"), []byte{6, 0, 0, 0, 1})
	f.Add([]byte{}, []byte{}, []byte("processor: 0\nphysical id: 1\ncore id: x\n"), []byte("MemTotal: kB"), []byte{1})
	f.Fuzz(func(t *testing.T, entry, dmi, cpuinfo, meminfo, sb []byte) {
		fsys := fstest.MapFS{
			"sys/firmware/dmi/tables/smbios_entry_point": {Data: entry},
			"sys/firmware/dmi/tables/DMI":                {Data: dmi},
			"proc/cpuinfo":                               {Data: cpuinfo},
			"proc/meminfo":                               {Data: meminfo},
			"sys/firmware/efi/efivars/" + secureBootV:    {Data: sb},
		}
		inv, _ := Collect(fsys, "", time.Time{})
		if inv.CPU.Threads < 0 || inv.CPU.Cores > inv.CPU.Threads && inv.CPU.Threads > 0 {
			t.Errorf("CPU %+v: more cores than threads", inv.CPU)
		}
	})
}
