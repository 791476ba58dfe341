package events

import (
	"net/netip"
	"strings"
	"time"
)

// Summary is what the Log knows of one machine at a glance: a row of the
// dashboard's table and of `pxed status`.
type Summary struct {
	MAC string // or "ip:ADDR" for an address pxed did not lease
	// Host is the configured host the machine matched, else the name it
	// sent itself (option 12, untrusted).
	Host     string
	IP       netip.Addr
	Arch     string
	LastSeen time.Time
	// State is where its last boot stands, in words: "discovering",
	// "leased", "kernel sent", "failed" …
	State string
	// Failure is the reason of the last failed step of its last boot, if
	// the boot has one ("pxelinux.cfg/default not found").
	Failure string
}

// update brings s in line with the machine's newest event e.
func (s *Summary) update(e Event) {
	s.LastSeen = e.Time
	if e.Host != "" {
		s.Host = e.Host
	} else if e.ClientName != "" && (s.Host == "" || e.Kind == DHCPDiscover || e.Kind == DHCPRequest) {
		s.Host = e.ClientName
	}
	if e.Client.HasArch {
		s.Arch = e.Client.Arch.String()
	}
	if e.IP.IsValid() && (e.Kind == DHCPAck || e.Kind == ProxyAck || !s.IP.IsValid()) {
		s.IP = e.IP
	}
	st := StepOf(e)
	switch e.Kind {
	case DHCPDiscover:
		if s.State != "discovering" {
			s.Failure = "" // a new boot starts clean
		}
		s.State = "discovering"
	case DHCPOffer, ProxyOffer:
		s.State = "offered"
	case DHCPRequest:
		s.State = "requesting"
	case DHCPAck:
		s.State = "leased"
	case ProxyAck:
		s.State = "boot server answered"
	case DHCPNak:
		s.State, s.Failure = "refused", st.Reason
	case DHCPIgnored:
		if s.State == "" {
			s.State = "ignored"
		}
	case FileServed:
		if e.Bytes > 0 {
			switch classify(e.File) {
			case stepKernel:
				s.State = "kernel sent"
			case stepInitrd:
				s.State = "initrd sent"
			case stepConfig:
				s.State = "config sent"
			default:
				if s.State != "kernel sent" && s.State != "initrd sent" {
					s.State = "loading " + e.File
				}
			}
		}
	case FileFailed:
		if st.Status == StatusFail {
			s.State, s.Failure = "failed", st.Reason
		}
	case Callback:
		s.State = strings.TrimSpace("install " + e.Detail)
	}
}

// Summaries returns every machine's summary, most recently seen first.
func (g *Log) Summaries() []Summary {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Summary, 0, g.lru.Len())
	for el := g.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*machine).sum)
	}
	return out
}

// Summary returns one machine's summary.
func (g *Log) Summary(mac string) (Summary, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.machines[strings.ToLower(mac)]; ok {
		return el.Value.(*machine).sum, true
	}
	return Summary{}, false
}
