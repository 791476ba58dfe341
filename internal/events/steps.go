package events

import (
	"net/netip"
	"path"
	"strings"
	"time"
)

// Status says how a step of a boot went.
type Status string

const (
	StatusOK Status = "ok"
	// StatusMiss is a file asked for and not found where loaders expect
	// that: PXELINUX and GRUB search for a config under several names
	// (01-<mac>, the address in hex, …) before the default one, and shim
	// asks for revocation lists and certificates a server rarely has.
	StatusMiss Status = "miss"
	// StatusFail is a step that went wrong: a file that is not there, a
	// transfer that died, a NAK.
	StatusFail Status = "fail"
)

// Step is one event as a timeline shows it.
type Step struct {
	Time  time.Time
	Kind  Kind
	Proto string
	File  string
	IP    netip.Addr
	Bytes int64
	Dur   time.Duration
	// Retransmits counts TFTP packets sent again.
	Retransmits int
	Status      Status
	// Reason says why a step failed, for a person: "pxelinux.cfg/default
	// not found", "initrd.gz: TFTP timeout after block 812".
	Reason string
	// Detail is what the event said besides (architecture, why a packet
	// was ignored, what an installer reported).
	Detail string
	// By is who acted, for an operator's action (Event.By).
	By string
}

// BootLog is one boot attempt of a machine, from its first DISCOVER.
type BootLog struct {
	Start time.Time
	Steps []Step
	// Failure is the reason of the boot's last failed step, if any, or
	// what its Verdict says.
	Failure string
	// Verdict is what pxed concludes of a boot that stopped after a loader
	// was sent: the firmware or shim refused it.
	Verdict Verdict
}

// expectedMiss reports whether a file that was not found is one a loader
// looks for on the way to another (its config search, shim's optional
// files), so that its absence is normal. A new probe is one case here.
func expectedMiss(file string) bool {
	f := strings.ToLower(strings.TrimLeft(file, "/"))
	base := path.Base(f)
	switch {
	// PXELINUX tries pxelinux.cfg/<uuid>, 01-<mac>, the client address in
	// hex shortened digit by digit, then "default" (PXELINUX docs,
	// "Configuration").
	case strings.HasPrefix(f, "pxelinux.cfg/"):
		return base != "default"
	// GRUB tries grub.cfg-01-<mac> and grub.cfg-<hex> before grub.cfg.
	case strings.HasPrefix(base, "grub.cfg-"):
		return true
	// Debian's signed netboot GRUB runs `test -e $prefix/x86_64-efi/grub.cfg`
	// (arm64-efi/grub.cfg on arm64) before `source $prefix/grub.cfg`
	// (debian/build-efi-images, grub-netboot.cfg).
	case base == "grub.cfg" && strings.HasSuffix(path.Dir(f), "-efi"):
		return true
	}
	return shimProbe(base)
}

// shimProbe reports whether base is a file shim fetches beside itself
// before its second stage, which a netboot server normally lacks: the
// revocation updates and extra certificates must be signed, so only a
// distribution can ship them (shim 16.1, shim.c load_unbundled_trust:
// revocations_sku.efi, revocations_sbat.efi, then shim_certificate_0.efi,
// _1 … while the previous one was found).
func shimProbe(base string) bool {
	switch base {
	case "revocations_sku.efi", "revocations_sbat.efi":
		return true
	}
	n, ok := strings.CutPrefix(base, "shim_certificate_")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, ".efi")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// StepOf turns an event into a timeline step. Its status comes from the
// event's outcome (Event.Result) alone; the words of Reason and Detail
// decide nothing.
func StepOf(e Event) Step {
	s := Step{Time: e.Time, Kind: e.Kind, Proto: e.Proto, File: e.File, IP: e.IP, Bytes: e.Bytes,
		Dur: e.Dur, Retransmits: e.Retransmits, Status: StatusOK, Detail: e.Detail, By: e.By}
	if o := e.Result(); o.Failed() {
		s.Status, s.Reason = status(o, e.File), reason(e, o)
	}
	return s
}

// status judges a failed step: a file not found where a loader's config
// search expects that is a miss, anything else a failure.
func status(o Outcome, file string) Status {
	if o == OutcomeNotFound && expectedMiss(file) {
		return StatusMiss
	}
	return StatusFail
}

// reason says why a step failed, for a person: what failed (the DHCPNAK,
// the file), then the outcome's words or the event's Detail.
func reason(e Event, o Outcome) string {
	switch {
	case e.Kind == DHCPNak && e.Detail == "":
		return "DHCPNAK"
	case e.Kind == DHCPNak:
		return "DHCPNAK: " + e.Detail
	case o == OutcomeNotFound:
		return e.File + " " + o.String()
	case e.File == "" && e.Detail == "":
		return o.String()
	case e.File == "":
		return e.Detail
	case e.Detail == "":
		return e.File + " failed"
	}
	return e.File + ": " + e.Detail
}

// splitBoots cuts a machine's events (oldest first) into boot attempts: a
// DISCOVER (or BOOTREQUEST) after anything but DISCOVERs, OFFERs, ignored
// packets and refused BOOTP requests starts a new one (firmware resends
// DISCOVER while it waits for offers, a BOOTP client its request).
func splitBoots(evs []Event) [][]Event {
	var boots [][]Event
	cur := -1
	for i, e := range evs {
		if e.Kind.startsBoot() && (cur < 0 || !onlyDiscovery(evs[cur:i])) {
			if cur >= 0 {
				boots = append(boots, evs[cur:i])
			}
			cur = i
		}
		if cur < 0 {
			cur = i
		}
	}
	if cur >= 0 {
		boots = append(boots, evs[cur:])
	}
	return boots
}

func onlyDiscovery(evs []Event) bool {
	for _, e := range evs {
		switch e.Kind {
		case DHCPDiscover, DHCPOffer, ProxyOffer, DHCPIgnored, BOOTPRequest, BOOTPRefused:
		default:
			return false
		}
	}
	return true
}

// Boots returns up to n of a machine's last boot attempts, newest first.
func (g *Log) Boots(mac string, n int) []BootLog {
	evs := g.Events(mac)
	now := g.now()
	all := splitBoots(evs)
	var out []BootLog
	end := len(evs)
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		b := BootLog{Start: all[i][0].Time, Steps: make([]Step, 0, len(all[i]))}
		for _, e := range all[i] {
			s := StepOf(e)
			if s.Status == StatusFail {
				b.Failure = s.Reason
			}
			b.Steps = append(b.Steps, s)
		}
		// What the firmware refused says more than the last miss before it.
		if b.Verdict = judge(all[i], evs[end:], now); b.Verdict != VerdictNone {
			b.Failure = b.Verdict.String()
		}
		end -= len(all[i])
		out = append(out, b)
	}
	return out
}
