package events

import (
	"path"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/pxe"
)

// Verdict is what pxed concludes of a boot that stopped where only the
// machine can have stopped it: the firmware, or shim, refused what pxed
// sent. Neither says so on the network, so without a verdict the timeline
// would end in silence after a file served whole. judge decides it, from
// the events alone.
type Verdict uint8

const (
	// VerdictNone: nothing to conclude (the boot went on, or stopped in a
	// way its steps already say).
	VerdictNone Verdict = iota
	// VerdictLoaderRefused: the boot program (the file DHCP named) was sent
	// whole, then the machine asked for nothing more for LoaderQuiet, or its
	// next DHCP came from another of its boot clients (UEFI HTTP Boot after
	// PXE, for one): the firmware did not start the program. Under UEFI
	// Secure Boot that is what an unsigned loader gets (OVMF prints
	// "BdsDxe: failed to load Boot… Access Denied" and moves on).
	VerdictLoaderRefused
	// VerdictGRUBRefused: shim asked for its MokManager (mmx64.efi) after
	// its second stage (grubx64.efi) was sent whole. shim does that when
	// starting the second stage failed with a security violation: GRUB is
	// not signed by a key shim trusts, or SBAT revokes it (shim 16.1,
	// shim.c init_grub).
	VerdictGRUBRefused
	// VerdictGRUBQuiet: GRUB (grub<arch>.efi), fetched after the loader
	// by shim, was sent whole and then nothing more was asked. Under
	// Secure Boot that is how shim refusing GRUB looks first: seen on OVMF,
	// shim 16.1 shows "Verification failed: (0x1A) Security Violation" in
	// an ERROR box and waits for a key before it tries MokManager.
	VerdictGRUBQuiet
)

var verdicts = [...]string{
	VerdictNone:          "",
	VerdictLoaderRefused: "the firmware may have refused the loader (unsigned under Secure Boot?)",
	VerdictGRUBRefused:   "shim refused GRUB (not signed by a key shim trusts, or revoked by SBAT): it asked for MokManager next",
	VerdictGRUBQuiet:     "shim may have refused GRUB (not signed by a key shim trusts, or revoked by SBAT?): nothing was asked after it",
}

// String says the verdict for a person; "" for VerdictNone.
func (v Verdict) String() string {
	if int(v) < len(verdicts) {
		return verdicts[v]
	}
	return ""
}

// LoaderQuiet is how long a machine may stay silent after its boot
// program was sent whole before pxed says the firmware may have refused
// it. A loader that runs asks for its next file at once (shim its
// revocation lists, GRUB its module lists, PXELINUX ldlinux.c32, iPXE
// DHCP) even under TCG emulation; a refused one is followed by silence or
// by the firmware's next boot option.
const LoaderQuiet = 10 * time.Second

// judge decides the verdict on one boot attempt, boot (its events, oldest
// first), given the events that came after it, later (the machine's next
// attempts), and the time of judging, now.
func judge(boot, later []Event, now time.Time) Verdict {
	client, sent := loaderSent(boot)
	if sent < 0 {
		return VerdictNone
	}
	if shimRefusedGRUB(boot[sent:]) {
		return VerdictGRUBRefused
	}
	verdict := VerdictLoaderRefused
	if i := secondStage(boot, sent); i > 0 {
		sent, verdict = i, VerdictGRUBQuiet
	}
	next := func(yield func(Event) bool) {
		for _, e := range boot[sent+1:] {
			if !yield(e) {
				return
			}
		}
		for _, e := range later {
			if !yield(e) {
				return
			}
		}
	}
	until := now
	for e := range next {
		switch e.Kind {
		case FileServed, FileFailed, Callback:
			return VerdictNone // the loader ran and asked for more
		case DHCPDiscover, DHCPRequest, BOOTPRequest:
			if e.Client.IPXE && !client.IPXE {
				return VerdictNone // iPXE chainloaded: the loader was iPXE, and it runs
			}
			if otherClient(client, e.Client) {
				return verdict // the firmware went on to its next boot option
			}
			until = e.Time
		default:
			continue
		}
		break
	}
	if until.Sub(boot[sent].Time) >= LoaderQuiet {
		return verdict
	}
	return VerdictNone
}

// secondStage finds GRUB fetched by shim: the index of the attempt's last
// file request when it is grub<arch>.efi, another file than the loader
// (sent at index sent), sent whole; else -1.
func secondStage(boot []Event, sent int) int {
	for i := len(boot) - 1; i > sent; i-- {
		e := boot[i]
		if e.Kind != FileServed && e.Kind != FileFailed {
			continue
		}
		name := fileName(e.File)
		if e.Kind == FileServed && e.Bytes > 0 && efiNamed(path.Base(name), "grub") && name != fileName(boot[sent].File) {
			return i
		}
		return -1
	}
	return -1
}

// loaderSent finds the boot program of an attempt, the file the last DHCP
// answer before it named: the index of the event that sent it whole (-1
// when none did) and the client the answer was for.
func loaderSent(boot []Event) (pxe.Client, int) {
	var loader string
	var client pxe.Client
	for i, e := range boot {
		switch e.Kind {
		case DHCPAck, ProxyOffer, ProxyAck:
			if e.File != "" {
				loader, client = fileName(e.File), e.Client
			}
		case FileServed:
			if loader != "" && e.Bytes > 0 && classify(e.File) == stepOther && fileName(e.File) == loader {
				return client, i
			}
		}
	}
	return pxe.Client{}, -1
}

// shimRefusedGRUB reports whether, in evs, a request for shim's MokManager
// (mm<arch>.efi) follows GRUB (grub<arch>.efi) sent whole.
func shimRefusedGRUB(evs []Event) bool {
	grub := false
	for _, e := range evs {
		if e.Kind != FileServed && e.Kind != FileFailed {
			continue
		}
		base := path.Base(fileName(e.File))
		switch {
		case e.Kind == FileServed && e.Bytes > 0 && efiNamed(base, "grub"):
			grub = true
		case grub && efiNamed(base, "mm"):
			return true
		}
	}
	return false
}

// efiNamed reports whether base is prefix<arch>.efi, the way shim names
// its second stage and MokManager (grubx64.efi, mmaa64.efi).
func efiNamed(base, prefix string) bool {
	base = strings.ToLower(base)
	return strings.HasPrefix(base, prefix) && strings.HasSuffix(base, ".efi")
}

// otherClient reports whether b is another of a machine's boot clients
// than a: HTTP Boot after PXE, another architecture, or the firmware's own
// client after iPXE.
func otherClient(a, b pxe.Client) bool {
	return a.HTTP != b.HTTP || a.IPXE != b.IPXE || (a.HasArch && b.HasArch && a.Arch.Family() != b.Arch.Family())
}

// fileName is a file as served: a URL given in DHCP (UEFI HTTP Boot) by
// its path, without leading or doubled slashes (shim asks for
// "dir//grubx64.efi" over HTTP).
func fileName(f string) string {
	if _, rest, ok := strings.Cut(f, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			f = rest[i:]
		} else {
			f = ""
		}
	}
	return strings.TrimLeft(path.Clean("/"+f), "/")
}
