package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/events"
)

// MachineInfo is what the host catalog says of a machine.
type MachineInfo struct {
	Host    string // its host entry's name
	Profile string // the profile it boots
	// Install is where its one-shot install stands ("install pending",
	// "installed 2026-11-25 03:00:00 UTC", "netboot never"), empty when
	// it has none.
	Install string
}

// Machines serves the machine table, timelines and the live event stream
// from an events.Log.
type Machines struct {
	Log *events.Log
	// Info, if set, adds the catalog's view of a machine (host name,
	// profile, install state).
	Info func(mac net.HardwareAddr) MachineInfo
	// Boots is how many of a machine's last boots its timeline shows.
	Boots int
	// Heartbeat is the interval of keep-alive comments on the event
	// stream, so that proxies keep it open and a vanished browser is noticed.
	Heartbeat time.Duration
}

// MachineJSON is a row of the machine table.
type MachineJSON struct {
	MAC  string `json:"mac"`
	Host string `json:"host,omitempty"`
	// Known is set when the machine has a host entry in the catalog;
	// otherwise it is only discovered, and Host is the name it sent.
	Known bool   `json:"known"`
	IP    string `json:"ip,omitempty"`
	// IPs are the last addresses given to it, one per family, IPv4 first.
	IPs      []string  `json:"ips,omitempty"`
	Arch     string    `json:"arch,omitempty"`
	Profile  string    `json:"profile,omitempty"`
	Install  string    `json:"install,omitempty"`
	State    string    `json:"state"`
	Failure  string    `json:"failure,omitempty"`
	LastSeen time.Time `json:"last_seen"`
}

// StepJSON is one step of a boot timeline.
type StepJSON struct {
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Proto       string    `json:"proto,omitempty"`
	File        string    `json:"file,omitempty"`
	IP          string    `json:"ip,omitempty"`
	Bytes       int64     `json:"bytes,omitempty"`
	DurMS       float64   `json:"dur_ms,omitempty"`
	Retransmits int       `json:"retransmits,omitempty"`
	Status      string    `json:"status"` // ok, miss (an expected lookup), fail
	Reason      string    `json:"reason,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	// By is who acted, for an operator's action.
	By string `json:"by,omitempty"`
}

// BootJSON is one boot attempt.
type BootJSON struct {
	Start   time.Time  `json:"start"`
	Failure string     `json:"failure,omitempty"`
	Steps   []StepJSON `json:"steps"`
}

// MachineDetailJSON is a machine with its last boots, newest first.
type MachineDetailJSON struct {
	MachineJSON
	Boots []BootJSON `json:"boots"`
}

// StreamJSON is one message of the event stream: a step and the row of
// its machine as it now stands.
type StreamJSON struct {
	Machine MachineJSON `json:"machine"`
	Step    StepJSON    `json:"step"`
}

func (m *Machines) row(s events.Summary) MachineJSON {
	j := MachineJSON{MAC: s.MAC, Host: s.Host, Arch: s.Arch, State: s.State, Failure: s.Failure, LastSeen: s.LastSeen.UTC()}
	if s.IP.IsValid() {
		j.IP = s.IP.String()
	}
	for _, a := range s.IPs {
		if a.IsValid() {
			j.IPs = append(j.IPs, a.String())
		}
	}
	if m.Info != nil {
		if hw, err := net.ParseMAC(s.MAC); err == nil {
			info := m.Info(hw)
			if info.Host != "" {
				j.Host, j.Known = info.Host, true
			}
			j.Profile, j.Install = info.Profile, info.Install
		}
	}
	return j
}

func step(s events.Step) StepJSON {
	j := StepJSON{Time: s.Time.UTC(), Kind: s.Kind.String(), Proto: s.Proto, File: s.File, Bytes: s.Bytes,
		DurMS: float64(s.Dur.Microseconds()) / 1000, Retransmits: s.Retransmits, Status: string(s.Status),
		Reason: s.Reason, Detail: s.Detail, By: s.By}
	if s.IP.IsValid() {
		j.IP = s.IP.String()
	}
	return j
}

// List answers GET /api/v1/machines: every machine, most recently seen first.
func (m *Machines) List(w http.ResponseWriter, r *http.Request) {
	sums := m.Log.Summaries()
	out := make([]MachineJSON, 0, len(sums))
	for _, s := range sums {
		out = append(out, m.row(s))
	}
	JSON(w, http.StatusOK, out)
}

// Get answers GET /api/v1/machines/{mac}: the machine and its last boots.
func (m *Machines) Get(w http.ResponseWriter, r *http.Request) {
	key := strings.ToLower(r.PathValue("mac"))
	if hw, err := net.ParseMAC(key); err == nil {
		key = hw.String() // 00-18-E7-… and 0018.e742.843a name the same machine
	}
	s, ok := m.Log.Summary(key)
	if !ok {
		Error(w, http.StatusNotFound, fmt.Sprintf("no events recorded for machine %q", key))
		return
	}
	n := m.Boots
	if n <= 0 {
		n = 5
	}
	out := MachineDetailJSON{MachineJSON: m.row(s), Boots: []BootJSON{}}
	for _, b := range m.Log.Boots(key, n) {
		bj := BootJSON{Start: b.Start.UTC(), Failure: b.Failure, Steps: make([]StepJSON, 0, len(b.Steps))}
		for _, st := range b.Steps {
			bj.Steps = append(bj.Steps, step(st))
		}
		out.Boots = append(out.Boots, bj)
	}
	JSON(w, http.StatusOK, out)
}

// Stream answers GET /api/v1/events with server-sent events: a "step"
// message (StreamJSON) for every event recorded from now on. A follower
// that falls too far behind gets a "dropped" message and the stream ends;
// an EventSource then reconnects by itself.
func (m *Machines) Stream(w http.ResponseWriter, r *http.Request) {
	sub, err := m.Log.Subscribe()
	if errors.Is(err, events.ErrTooManySubscribers) {
		Error(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// Each write gets its own deadline in place of the server's
	// WriteTimeout, which would end the stream after 30 s: a browser that
	// stops reading is let go after one, and its subscription with it.
	send := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if send([]byte(": pxed events\n\n")) != nil {
		return
	}
	beat := m.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	tick := time.NewTicker(beat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if send([]byte(": keep-alive\n\n")) != nil {
				return
			}
		case e, ok := <-sub.C:
			if !ok {
				if sub.Dropped() {
					send([]byte("event: dropped\ndata: {\"error\":\"this follower fell behind\"}\n\n"))
				}
				return
			}
			msg := StreamJSON{Step: step(events.StepOf(e))}
			if s, ok := m.Log.Summary(e.Machine); ok {
				msg.Machine = m.row(s)
			} else {
				msg.Machine = MachineJSON{MAC: e.Machine}
			}
			b, _ := json.Marshal(msg)
			if send(fmt.Appendf(nil, "event: step\ndata: %s\n\n", b)) != nil {
				return
			}
		}
	}
}

// Register adds the machine routes to s.
func (m *Machines) Register(s *Server) {
	s.HandleFunc("GET /api/v1/machines", Read, m.List)
	s.HandleFunc("GET /api/v1/machines/{mac}", Read, m.Get)
	s.HandleFunc("GET /api/v1/events", Read, m.Stream)
}
