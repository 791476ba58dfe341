// Package inventory is what a machine's discovery boot reports of its
// hardware: DMI identity, firmware, CPUs, memory, disks and NICs. The
// agent (pxed agent, running in the discovery initramfs) fills it in on
// the machine; pxed stores it in the catalog by MAC, shows it in the API,
// the CLI and the dashboard, and matches discovery rules against it.
//
// The JSON form is the wire format between agent and server, the stored
// form (embedded store and PostgreSQL) and the API's: a field renamed here
// is renamed in all three, so fields are added, never renamed.
package inventory

import "time"

// Inventory is one machine's hardware as its discovery boot saw it.
type Inventory struct {
	// Collected is when the agent read it (the machine's clock).
	Collected time.Time `json:"collected,omitzero"`
	DMI       DMI       `json:"dmi"`
	Firmware  Firmware  `json:"firmware"`
	CPU       CPU       `json:"cpu"`
	// MemoryBytes is the memory installed: the sum of the SMBIOS memory
	// devices (type 17) where the firmware lists them, else what the
	// kernel reports (MemTotal, somewhat less).
	MemoryBytes uint64 `json:"memory_bytes"`
	Disks       []Disk `json:"disks,omitempty"`
	NICs        []NIC  `json:"nics,omitempty"`
}

// DMI is the machine's SMBIOS system identity (type 1).
type DMI struct {
	Vendor  string `json:"vendor,omitempty"`
	Product string `json:"product,omitempty"`
	Serial  string `json:"serial,omitempty"`
	// UUID is the SMBIOS UUID, 8-4-4-4-12 lower-case hex, as PXE clients
	// send it in option 97.
	UUID string `json:"uuid,omitempty"`
}

// Firmware is how the machine booted.
type Firmware struct {
	// Mode is "bios" or "uefi".
	Mode string `json:"mode"`
	// SecureBoot is true when UEFI Secure Boot was enforced on this boot.
	SecureBoot bool `json:"secure_boot"`
}

// Firmware modes.
const (
	ModeBIOS = "bios"
	ModeUEFI = "uefi"
)

// CPU sums up the processors.
type CPU struct {
	Model string `json:"model,omitempty"`
	// Sockets, Cores (physical, all sockets) and Threads (logical CPUs,
	// all sockets).
	Sockets int `json:"sockets"`
	Cores   int `json:"cores"`
	Threads int `json:"threads"`
}

// Disk is one block device that is a disk (not a partition, a loop or a
// RAM disk).
type Disk struct {
	Name       string `json:"name"` // sda, vda, nvme0n1
	SizeBytes  uint64 `json:"size_bytes"`
	Model      string `json:"model,omitempty"`
	Serial     string `json:"serial,omitempty"`
	Rotational bool   `json:"rotational"`
}

// NIC is one Ethernet interface.
type NIC struct {
	Name   string `json:"name"` // eth0, enp0s3
	MAC    string `json:"mac"`  // lower case, colon separated
	Driver string `json:"driver,omitempty"`
	// SpeedMbps is the link speed the driver reports; 0 when the link is
	// down or the driver does not say.
	SpeedMbps int `json:"speed_mbps,omitempty"`
	// Booted is true for the NIC the machine network-booted from.
	Booted bool `json:"booted,omitempty"`
}
