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

// stage is where a machine's boot stands. Summary.State says it in words
// for a person; update decides on the stage alone.
type stage uint8

const (
	stageNone stage = iota
	stageDiscovering
	stageOffered
	stageRequesting
	stageLeased
	stageBootServer
	stageRefused
	stageIgnored
	stageLoading // a boot program or another file
	stageConfig
	stageKernel
	stageInitrd
	stageFailed
	stageInstall // an installer called back
)

// update brings the machine's summary and stage in line with its newest
// event e.
func (m *machine) update(e Event) {
	s := &m.sum
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
		if m.stage != stageDiscovering {
			s.Failure = "" // a new boot starts clean
		}
		m.set(stageDiscovering, "discovering")
	case DHCPOffer, ProxyOffer:
		m.set(stageOffered, "offered")
	case DHCPRequest:
		m.set(stageRequesting, "requesting")
	case DHCPAck:
		m.set(stageLeased, "leased")
	case ProxyAck:
		m.set(stageBootServer, "boot server answered")
	case DHCPNak:
		m.set(stageRefused, "refused")
		s.Failure = st.Reason
	case DHCPIgnored:
		if m.stage == stageNone {
			m.set(stageIgnored, "ignored")
		}
	case FileServed:
		if e.Bytes > 0 { // else a size probe, not a fetch
			m.fileSent(e.File)
		}
	case FileFailed:
		if st.Status == StatusFail {
			m.set(stageFailed, "failed")
			s.Failure = st.Reason
		}
	case Callback:
		m.set(stageInstall, strings.TrimSpace("install "+e.Detail))
	}
}

// set moves the machine to stage st, which words says for a person.
func (m *machine) set(st stage, words string) {
	m.stage, m.sum.State = st, words
}

// fileSent moves the machine on by the role of a file sent whole; a boot
// program or another file sent after the kernel or initrd changes nothing.
func (m *machine) fileSent(file string) {
	switch classify(file) {
	case stepKernel:
		m.set(stageKernel, "kernel sent")
	case stepInitrd:
		m.set(stageInitrd, "initrd sent")
	case stepConfig:
		m.set(stageConfig, "config sent")
	default:
		if m.stage != stageKernel && m.stage != stageInitrd {
			m.set(stageLoading, "loading "+file)
		}
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
