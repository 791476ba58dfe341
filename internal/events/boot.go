package events

import (
	"path"
	"strings"
	"time"
)

// Boot is the timeline of one network boot, each step measured from the
// machine's first DHCPDISCOVER of that boot. A zero duration means the step
// has not been seen.
type Boot struct {
	Start    time.Time
	DHCP     time.Duration // DISCOVER → ACK (BOOTREQUEST → BOOTREPLY)
	BootFile time.Duration // the boot program (pxelinux.0, grubx64.efi, …) sent
	Config   time.Duration // the loader's config (pxelinux.cfg/…, grub.cfg …) sent
	Kernel   time.Duration
	Initrd   time.Duration
	// Failed lists files asked for and not served, in order (PXELINUX's
	// config search makes some of these normal).
	Failed []string
}

type step uint8

const (
	stepOther step = iota
	stepConfig
	stepKernel
	stepInitrd
)

// classify names a file's role in a boot from its path, the way the common
// loaders and installers name them.
func classify(file string) step {
	f := strings.ToLower(strings.TrimLeft(file, "/"))
	base := path.Base(f)
	switch {
	case strings.HasPrefix(f, "pxelinux.cfg/"), strings.HasPrefix(base, "grub.cfg"), strings.HasSuffix(base, ".ipxe"):
		return stepConfig
	case strings.HasPrefix(base, "initrd"), strings.HasPrefix(base, "initramfs"),
		// A cpio archive is an initramfs: pxed's root images
		// (images/<profile>/root.cpio.zst) and overlays (<mac>.cpio).
		strings.HasSuffix(base, ".cpio"), strings.Contains(base, ".cpio."):
		return stepInitrd
	case base == "linux", strings.HasPrefix(base, "vmlinuz"), base == "bzimage", base == "kernel":
		return stepKernel
	}
	return stepOther
}

// timeline finds the last boot in a machine's events (oldest first): it
// starts at the last DISCOVER that follows an earlier boot's files or stands
// first, and takes the steps after it.
func timeline(evs []Event) Boot {
	start := -1
	for i := len(evs) - 1; i >= 0; i-- {
		if !evs[i].Kind.startsBoot() {
			continue
		}
		start = i
		// Keep going back over the DISCOVERs and OFFERs of the same
		// attempt (firmware resends DISCOVER while it waits, a BOOTP
		// client its request).
		j := i - 1
		for j >= 0 && (evs[j].Kind.startsBoot() || evs[j].Kind == DHCPOffer || evs[j].Kind == DHCPIgnored || evs[j].Kind == BOOTPRefused) {
			if evs[j].Kind.startsBoot() {
				start = j
			}
			j--
		}
		break
	}
	if start < 0 {
		return Boot{}
	}
	b := Boot{Start: evs[start].Time}
	at := func(e Event) time.Duration {
		if d := e.Time.Sub(b.Start); d > 0 {
			return d
		}
		return time.Nanosecond
	}
	sawBootFile := false
	for _, e := range evs[start:] {
		switch e.Kind {
		case DHCPAck, BOOTPReply:
			if b.DHCP == 0 {
				b.DHCP = at(e)
			}
		case FileFailed:
			b.Failed = append(b.Failed, e.File)
		case FileServed:
			if e.Bytes == 0 {
				continue // a size probe, not a fetch
			}
			switch classify(e.File) {
			case stepConfig:
				if b.Config == 0 {
					b.Config = at(e)
				}
			case stepKernel:
				b.Kernel = at(e)
			case stepInitrd:
				b.Initrd = at(e)
			default:
				if !sawBootFile {
					b.BootFile, sawBootFile = at(e), true
				}
			}
		}
	}
	return b
}

// Timeline returns the timeline of the last boot of machine mac.
func (g *Log) Timeline(mac string) Boot {
	return timeline(g.Events(mac))
}
