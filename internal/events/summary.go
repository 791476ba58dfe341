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
	Host string
	IP   netip.Addr
	// IPs are the last addresses acknowledged to it, one per family:
	// IPv4 first, then IPv6 (invalid where none was). A dual-stack
	// machine is one machine with both.
	IPs      [2]netip.Addr
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
	} else if e.ClientName != "" && (s.Host == "" || e.Kind.startsBoot() || e.Kind == DHCPRequest) {
		s.Host = e.ClientName
	}
	if e.Client.HasArch {
		s.Arch = e.Client.Arch.String()
	}
	if e.IP.IsValid() && (e.Kind.Acknowledges() || !s.IP.IsValid()) {
		s.IP = e.IP
	}
	s.IPs = m.ips
	st := StepOf(e)
	switch e.Kind {
	case DHCPDiscover, BOOTPRequest:
		if m.stage != stageDiscovering {
			// A new boot starts clean, unless the one it ends was refused
			// by the firmware: the operator sees why the machine tries
			// again (HTTP Boot after PXE, say).
			s.Failure = m.verdict(e.Time, true).String()
		}
		m.set(stageDiscovering, "discovering")
	case DHCPOffer, ProxyOffer:
		m.set(stageOffered, "offered")
	case DHCPRequest:
		m.set(stageRequesting, "requesting")
	case DHCPAck, BOOTPReply:
		m.set(stageLeased, "leased")
	case ProxyAck:
		m.set(stageBootServer, "boot server answered")
	case DHCPNak, BOOTPRefused:
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

// verdict judges the machine's last boot at time now; with ended, the
// boot that the newest event (a DISCOVER) has just ended. Only a boot
// that stands after a loader, or failed there, can have one: others are
// not looked at.
func (m *machine) verdict(now time.Time, ended bool) Verdict {
	if m.stage != stageLoading && m.stage != stageFailed {
		return VerdictNone
	}
	evs := m.list()
	var later []Event
	if ended {
		evs, later = evs[:len(evs)-1], evs[len(evs)-1:]
	}
	boots := splitBoots(evs)
	if len(boots) == 0 {
		return VerdictNone
	}
	return judge(boots[len(boots)-1], later, now)
}

// summary is the machine's summary as of now: a boot that went quiet
// after its loader says what the firmware may have done.
func (m *machine) summary(now time.Time) Summary {
	s := m.sum
	if v := m.verdict(now, false); v != VerdictNone {
		s.Failure = v.String()
	}
	return s
}

// Summaries returns every machine's summary, most recently seen first.
func (g *Log) Summaries() []Summary {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Summary, 0, g.lru.Len())
	for el := g.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*machine).summary(now))
	}
	return out
}

// Summary returns one machine's summary.
func (g *Log) Summary(mac string) (Summary, bool) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.machines[strings.ToLower(mac)]; ok {
		return el.Value.(*machine).summary(now), true
	}
	return Summary{}, false
}
