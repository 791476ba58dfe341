package efiimage

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Machine is the PE/COFF machine type (PE format, "Machine Types"): the
// processor an image runs on. UEFI firmware starts only images of its own
// machine (UEFI specification §2.1.1).
type Machine uint16

// The machine types of the UEFI architectures (UEFI specification §2.1.1,
// table "UEFI Image Types").
const (
	MachineI386    Machine = 0x014c // x86 (IA32) UEFI
	MachineARM     Machine = 0x01c2 // 32-bit ARM UEFI (Thumb mixed)
	MachineAMD64   Machine = 0x8664 // x64 UEFI
	MachineARM64   Machine = 0xaa64 // AArch64 UEFI
	MachineRISCV64 Machine = 0x5064
	MachineLoong64 Machine = 0x6264
)

// String names the machine as the PE format does ("AMD64", "ARM64"), or
// gives its number for others.
func (m Machine) String() string {
	switch m {
	case MachineI386:
		return "i386"
	case MachineAMD64:
		return "AMD64 (x64)"
	case MachineARM:
		return "ARM"
	case MachineARM64:
		return "ARM64"
	case MachineRISCV64:
		return "RISC-V 64"
	case MachineLoong64:
		return "LoongArch64"
	}
	return "0x" + strconv.FormatUint(uint64(m), 16)
}

// Image is what Inspect found in a PE image.
type Image struct {
	Machine Machine
	// Subsystem is the optional header's: 10 for a UEFI application, 11
	// and 12 for boot and runtime drivers.
	Subsystem uint16
	// CertBytes is the size of the certificate table (the security data
	// directory, PE format "The Attribute Certificate Table"): 0 for an
	// image nobody signed.
	CertBytes uint32
	// Signed is set when the certificate table holds a PKCS#7 signature
	// (WIN_CERT_TYPE_PKCS_SIGNED_DATA), the form Authenticode and UEFI
	// Secure Boot use.
	Signed bool
	// GRUB is set for a GRUB core image (it has a "mods" section), and
	// GRUBPrefix is the prefix grub-mkimage -p embedded in it
	// ("/debian-installer/amd64/grub"): the directory GRUB reads its config
	// from. Empty when GRUB has none.
	GRUB       bool
	GRUBPrefix string
	// GRUBHTTP is set when GRUB's http module is built into the image, so
	// that the image reads (http,SERVER:PORT)/path also under Secure
	// Boot, where a locked-down GRUB refuses to load a module from the
	// network ("prohibited by secure boot policy"; docs/firmware.md).
	GRUBHTTP bool
}

// ErrNotPE is returned for a file that is not a PE image at all (no "MZ"
// header leading to a "PE\0\0" signature): a BIOS loader such as
// pxelinux.0, a script, a stand-in.
var ErrNotPE = errors.New("not a PE/COFF image")

// The security data directory's index in the optional header (PE format,
// "Optional Header Data Directories"), and the certificate header's type
// and revision for Authenticode (WIN_CERTIFICATE, "The Attribute
// Certificate Table").
const (
	dirSecurity         = pe.IMAGE_DIRECTORY_ENTRY_SECURITY
	certTypePKCSSigned  = 0x0002
	certRevision2       = 0x0200
	winCertificateBytes = 8
)

// Inspect reads the PE header of the image in r: its machine, subsystem
// and certificate table. A file that is not PE at all gives ErrNotPE.
func Inspect(r io.ReaderAt) (Image, error) {
	var mz [2]byte
	if _, err := r.ReadAt(mz[:], 0); err != nil || string(mz[:]) != "MZ" {
		return Image{}, ErrNotPE
	}
	f, err := pe.NewFile(r)
	if err != nil {
		return Image{}, fmt.Errorf("%w: %v", ErrNotPE, err)
	}
	defer f.Close()
	img := Image{Machine: Machine(f.Machine)}
	var dirs []pe.DataDirectory
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		img.Subsystem, dirs = h.Subsystem, h.DataDirectory[:min(int(h.NumberOfRvaAndSizes), len(h.DataDirectory))]
	case *pe.OptionalHeader32:
		img.Subsystem, dirs = h.Subsystem, h.DataDirectory[:min(int(h.NumberOfRvaAndSizes), len(h.DataDirectory))]
	default:
		return Image{}, fmt.Errorf("%w: no optional header", ErrNotPE)
	}
	certificates(r, dirs, &img)
	if s := f.Section("mods"); s != nil {
		data, err := s.Data()
		if err != nil {
			return img, fmt.Errorf("reading GRUB's mods section: %w", err)
		}
		img.GRUB = true
		core, err := readGRUBCore(data)
		if err != nil {
			return img, err
		}
		img.GRUBPrefix, img.GRUBHTTP = core.prefix, core.has("http")
	}
	return img, nil
}

// certificates fills img's CertBytes and Signed from the security data
// directory among dirs.
func certificates(r io.ReaderAt, dirs []pe.DataDirectory, img *Image) {
	if len(dirs) <= dirSecurity || dirs[dirSecurity].Size == 0 {
		return
	}
	// The security directory's address is a file offset, not an RVA.
	sec := dirs[dirSecurity]
	img.CertBytes = sec.Size
	var hdr [winCertificateBytes]byte
	if sec.Size < winCertificateBytes {
		return
	}
	if _, err := r.ReadAt(hdr[:], int64(sec.VirtualAddress)); err != nil {
		return // a table pointing past the end signs nothing
	}
	length := binary.LittleEndian.Uint32(hdr[0:])
	img.Signed = length > winCertificateBytes && length <= sec.Size &&
		binary.LittleEndian.Uint16(hdr[4:]) == certRevision2 &&
		binary.LittleEndian.Uint16(hdr[6:]) == certTypePKCSSigned
}
