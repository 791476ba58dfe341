package events

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/pxe"
)

var (
	ovmfPXE  = pxe.Client{PXE: true, Arch: pxe.ArchX64UEFI, HasArch: true, VendorClass: "PXEClient:Arch:00007:UNDI:003001"}
	ovmfHTTP = pxe.Client{HTTP: true, Arch: pxe.ArchX64HTTP, HasArch: true, VendorClass: "HTTPClient:Arch:00016:UNDI:003001"}
	ipxeUEFI = pxe.Client{PXE: true, IPXE: true, Arch: pxe.ArchX64UEFI, HasArch: true, VendorClass: "PXEClient:Arch:00007:UNDI:003010"}
)

// scripted is one event of a scripted boot, s seconds after the start.
type scripted struct {
	s float64
	e Event
}

// leased is the DHCP exchange of client c that names file as its boot program.
func leased(c pxe.Client, file string) []scripted {
	a := netip.MustParseAddr("192.168.1.103")
	return []scripted{
		{0, Event{Kind: DHCPDiscover, Client: c}},
		{0, Event{Kind: DHCPOffer, IP: a, Client: c, File: file}},
		{1, Event{Kind: DHCPRequest, IP: a, Client: c}},
		{1, Event{Kind: DHCPAck, IP: a, Client: c, File: file}},
	}
}

func served(s float64, file string, n int64) scripted {
	return scripted{s, Event{Kind: FileServed, Proto: "tftp", File: file, Bytes: n}}
}

func missed(s float64, file string) scripted {
	return scripted{s, Event{Kind: FileFailed, Proto: "tftp", File: file, Outcome: OutcomeNotFound, Detail: "not found"}}
}

func after(s float64, steps []scripted) []scripted {
	out := make([]scripted, len(steps))
	for i, st := range steps {
		out[i] = st
		out[i].s += s
	}
	return out
}

func cat(parts ...[]scripted) []scripted {
	var out []scripted
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const (
	shim = "debian-installer/amd64/bootnetx64.efi"
	grub = "debian-installer/amd64/grubx64.efi"
)

// The timelines of the lab's Secure Boot runs (OVMF secboot, Microsoft's
// keys), and of boots around them that must not be judged refused.
func TestVerdict(t *testing.T) {
	t.Parallel()
	shimAndGRUB := cat(leased(ovmfPXE, shim), []scripted{
		served(2, shim, 0), // EDK2's size probe
		served(3, shim, 1048504),
		missed(3.5, "debian-installer/amd64/revocations_sku.efi"),
		missed(3.5, "debian-installer/amd64/revocations_sbat.efi"),
		missed(3.6, "debian-installer/amd64/shim_certificate_0.efi"),
		served(9, grub, 3843520),
	})
	unsigned := cat(leased(ovmfPXE, "snponly.efi"), []scripted{served(2, "snponly.efi", 173792)})
	for _, c := range []struct {
		name  string
		steps []scripted
		now   float64   // when judged
		want  []Verdict // per boot, oldest first
	}{
		{"shim then GRUB, which reads its config", cat(shimAndGRUB, []scripted{
			served(12, "debian-installer/amd64/grub/x86_64-efi/command.lst", 5000),
			served(13, "debian-installer/amd64/grub/grub.cfg", 300),
		}), 100, []Verdict{VerdictNone}},
		{"shim then GRUB, just sent", shimAndGRUB, 9 + 9, []Verdict{VerdictNone}},
		{"shim then GRUB, then silence (shim's ERROR box)", shimAndGRUB, 9 + 10, []Verdict{VerdictGRUBQuiet}},
		{"shim then GRUB, then the firmware's HTTP Boot", cat(shimAndGRUB, after(12, leased(ovmfHTTP, ""))),
			13, []Verdict{VerdictGRUBQuiet, VerdictNone}},
		{"shim then GRUB, which shim refuses", cat(shimAndGRUB, []scripted{
			missed(10, "debian-installer/amd64/mmx64.efi"),
		}), 11, []Verdict{VerdictGRUBRefused}},
		{"an unsigned loader, just sent", unsigned, 2 + 9, []Verdict{VerdictNone}},
		{"an unsigned loader, then silence", unsigned, 2 + 10, []Verdict{VerdictLoaderRefused}},
		{"an unsigned loader, then the firmware's HTTP Boot", cat(unsigned, after(5, leased(ovmfHTTP, ""))),
			8, []Verdict{VerdictLoaderRefused, VerdictNone}},
		{"iPXE chainloaded: iPXE asks DHCP as iPXE", cat(unsigned, after(4, leased(ipxeUEFI, "http://192.168.1.21:8080/ipxe/00-18-e7-42-7a-3e.ipxe"))),
			100, []Verdict{VerdictNone, VerdictNone}},
		{"the same client again at once (no verdict from that alone)", cat(unsigned, after(3, leased(ovmfPXE, "snponly.efi"))),
			5, []Verdict{VerdictNone, VerdictNone}},
		{"the same client again after a long silence", cat(unsigned, after(60, leased(ovmfPXE, "snponly.efi"))),
			61, []Verdict{VerdictLoaderRefused, VerdictNone}},
		{"only the size probe: the loader was not sent", cat(leased(ovmfPXE, "snponly.efi"), []scripted{served(2, "snponly.efi", 0)}),
			100, []Verdict{VerdictNone}},
		{"UEFI HTTP Boot: the URL's file sent, then silence", cat(leased(ovmfHTTP, "http://192.168.1.21:8080/snponly.efi"),
			[]scripted{{2, Event{Kind: FileServed, Proto: "http", File: "snponly.efi", Bytes: 173792}}}),
			30, []Verdict{VerdictLoaderRefused}},
		{"PXELINUX: its modules follow", cat(leased(pxe.Client{PXE: true}, "pxelinux.0"), []scripted{
			served(2, "pxelinux.0", 42430), served(2.1, "ldlinux.c32", 120000),
		}), 100, []Verdict{VerdictNone}},
	} {
		g := NewLog(DefaultLimits)
		g.Now = func() time.Time { return at(c.now) }
		for _, st := range c.steps {
			e := st.e
			e.Time = at(st.s)
			if e.Kind == FileServed || e.Kind == FileFailed {
				e.IP = netip.MustParseAddr("192.168.1.103")
			} else {
				e.MAC = mac
			}
			g.Record(e)
		}
		boots := g.Boots(mac.String(), 10)
		if len(boots) != len(c.want) {
			t.Errorf("%s: %d boots, want %d", c.name, len(boots), len(c.want))
			continue
		}
		for i, b := range boots {
			w := c.want[len(c.want)-1-i] // Boots is newest first
			if b.Verdict != w {
				t.Errorf("%s: boot %d verdict %q, want %q", c.name, len(boots)-1-i, b.Verdict, w)
			}
			if w != VerdictNone && b.Failure != w.String() {
				t.Errorf("%s: boot %d failure %q, want the verdict's words", c.name, len(boots)-1-i, b.Failure)
			}
		}
	}
}

// The machine's summary says the verdict: while the machine is quiet after
// its loader, and once it has gone on to its next boot client.
func TestSummarySaysVerdict(t *testing.T) {
	t.Parallel()
	m := net.HardwareAddr{2, 0, 0, 0, 0, 7}
	a := netip.MustParseAddr("10.0.0.7")
	now := at(0)
	g := NewLog(DefaultLimits)
	g.Now = func() time.Time { return now }
	rec := func(s float64, e Event) {
		e.Time = at(s)
		if e.Kind != FileServed {
			e.MAC = m
		}
		g.Record(e)
		now = at(s)
	}
	failure := func() string {
		s, _ := g.Summary(m.String())
		return s.Failure
	}
	rec(0, Event{Kind: DHCPDiscover, Client: ovmfPXE})
	rec(1, Event{Kind: DHCPAck, IP: a, Client: ovmfPXE, File: "snponly.efi"})
	rec(2, Event{Kind: FileServed, IP: a, File: "snponly.efi", Bytes: 173792})
	now = at(5)
	if f := failure(); f != "" {
		t.Errorf("5 s after the loader: failure %q, want none yet", f)
	}
	now = at(12)
	if f := failure(); f != VerdictLoaderRefused.String() {
		t.Errorf("10 s after the loader: failure %q", f)
	}
	if s := g.Summaries(); len(s) != 1 || s[0].Failure != VerdictLoaderRefused.String() {
		t.Errorf("summaries %+v", s)
	}
	rec(13, Event{Kind: DHCPDiscover, Client: ovmfHTTP})
	if f := failure(); f != VerdictLoaderRefused.String() {
		t.Errorf("on the HTTP Boot DISCOVER that follows: failure %q", f)
	}
	rec(14, Event{Kind: DHCPAck, IP: a, Client: ovmfHTTP})
	rec(60, Event{Kind: DHCPDiscover, Client: ovmfPXE})
	if f := failure(); f != "" {
		t.Errorf("a later boot starts clean, failure %q", f)
	}
}
