package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
)

// ActorHeader names who acts in an operator's request: the CLI sends
// "cli " and the user's name, the dashboard "dashboard". It is the client's
// word, not proof: the token proves the right to act, the header only
// says which person or tool did, for the timeline. The remote address is
// added to it.
const ActorHeader = "X-Pxed-Actor"

// maxActor bounds the actor's name as kept in an event.
const maxActor = 64

// Waker sends a Wake-on-LAN magic packet for the machine with address mac
// on the network of ip (an address of the host; invalid when it has none)
// and says where it went (the broadcast addresses), for the timeline.
type Waker interface {
	Wake(ctx context.Context, mac net.HardwareAddr, ip netip.Addr) ([]netip.Addr, error)
}

// Actions are the operator's actions on machines (docs/discovery.md,
// "Acting on machines"): adopt a discovered machine, change a host's
// profile, reinstall it, wake it. Each is a Write route and each is
// recorded to Events as an events.Adopted or events.Action event with By
// set to who acted.
type Actions struct {
	Catalog *catalog.Catalog
	Events  events.Recorder
	// Waker sends Wake-on-LAN; nil: wake is refused and reinstall does not
	// wake.
	Waker Waker
}

// Register adds the action routes to s.
func (a *Actions) Register(s *Server) {
	s.HandleFunc("POST /api/v1/discovered/{mac}/adopt", Write, a.adopt)
	s.HandleFunc("POST /api/v1/discovered/{mac}/poweroff", Write, a.powerOff)
	s.HandleFunc("POST /api/v1/hosts/{name}/profile", Write, a.setProfile)
	s.HandleFunc("POST /api/v1/hosts/{name}/reinstall", Write, a.reinstall)
	s.HandleFunc("POST /api/v1/hosts/{name}/wake", Write, a.wake)
}

// AdoptRequest is the body of POST /api/v1/discovered/{mac}/adopt.
type AdoptRequest struct {
	Name    string `json:"name"`
	Profile string `json:"profile,omitempty"`
	// IP is a reserved address (empty: one from the pool).
	IP string `json:"ip,omitempty"`
	// Netboot is always (default), once or never.
	Netboot config.Netboot `json:"netboot,omitempty"`
}

// ProfileRequest is the body of POST /api/v1/hosts/{name}/profile.
type ProfileRequest struct {
	Profile string `json:"profile"`
}

// WakeJSON is what a wake answers: where the magic packet went.
type WakeJSON struct {
	MAC    string   `json:"mac"`
	SentTo []string `json:"sent_to"`
}

// ReinstallJSON is what a reinstall answers: the host as it now stands and
// the wake that followed, or why there was none.
type ReinstallJSON struct {
	Host      *catalog.Host `json:"host"`
	Wake      *WakeJSON     `json:"wake,omitempty"`
	WakeError string        `json:"wake_error,omitempty"`
}

// adopt gives a discovered machine a host entry: 201 with the host.
func (a *Actions) adopt(w http.ResponseWriter, r *http.Request) {
	mac, err := net.ParseMAC(r.PathValue("mac"))
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	var req AdoptRequest
	if err := Decode(r, &req); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Name == "" {
		Error(w, http.StatusBadRequest, "adopting a machine needs a host name (\"name\")")
		return
	}
	snap := a.Catalog.Snapshot()
	m, ok := discovered(snap, mac)
	if !ok {
		Error(w, http.StatusNotFound, "no discovered machine "+mac.String())
		return
	}
	// Adopting must not silently take over another host's entry.
	if old, ok := snap.Host(req.Name); ok {
		Error(w, http.StatusConflict, fmt.Sprintf("host %s exists already (%s)", old.Name, old.Source))
		return
	}
	h := config.Host{Name: req.Name, MAC: m.MAC, Netboot: req.Netboot}
	if req.IP != "" {
		ip, err := netip.ParseAddr(req.IP)
		if err != nil {
			Error(w, http.StatusBadRequest, fmt.Sprintf("ip %q: %v", req.IP, err))
			return
		}
		h.IP = config.Addr{Addr: ip}
	}
	if req.Profile != "" {
		h.Boot = &config.Boot{Profile: req.Profile}
	}
	if err := a.Catalog.PutHost(r.Context(), h); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := a.Catalog.Snapshot().Host(h.Name)
	detail := "by hand"
	if req.Profile != "" {
		detail += ", profile " + req.Profile
	}
	a.record(r, events.Event{Kind: events.Adopted, MAC: mac, Host: got.Name, Detail: detail})
	JSON(w, http.StatusCreated, got)
}

// PowerOffJSON answers a power-off order.
type PowerOffJSON struct {
	MAC    string              `json:"mac"`
	Action catalog.Instruction `json:"action"`
}

// powerOff orders a discovered machine's agent to switch it off at its
// next poll: 202 (it happens when the agent asks), 404 if no discovered
// machine has the MAC.
func (a *Actions) powerOff(w http.ResponseWriter, r *http.Request) {
	mac, err := net.ParseMAC(r.PathValue("mac"))
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.Catalog.PowerOff(mac); err != nil {
		if errors.Is(err, catalog.ErrNotDiscovered) {
			Error(w, http.StatusNotFound, "no discovered machine "+mac.String())
			return
		}
		catalogError(w, err)
		return
	}
	a.record(r, events.Event{Kind: events.Action, MAC: mac, Proto: "agent", Detail: "power off (at the agent's next poll)"})
	JSON(w, http.StatusAccepted, PowerOffJSON{MAC: mac.String(), Action: catalog.Poweroff})
}

// discovered finds the discovered machine with address mac.
func discovered(snap *catalog.Snapshot, mac net.HardwareAddr) (catalog.Machine, bool) {
	for _, m := range snap.Machines() {
		if strings.EqualFold(m.MAC.String(), mac.String()) {
			return m, true
		}
	}
	return catalog.Machine{}, false
}

// setProfile makes a host boot another profile: 200 with the host. A host
// of the YAML file gets an API entry that overrides it (as PUT does).
func (a *Actions) setProfile(w http.ResponseWriter, r *http.Request) {
	var req ProfileRequest
	if err := Decode(r, &req); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Profile == "" {
		Error(w, http.StatusBadRequest, "say which profile (\"profile\")")
		return
	}
	old, ok := a.host(w, r)
	if !ok {
		return
	}
	h := old.Host
	was := ""
	if h.Boot != nil {
		b := *h.Boot
		was = b.Profile
		h.Boot = &b
	} else {
		h.Boot = &config.Boot{}
	}
	h.Boot.Profile = req.Profile
	if err := a.Catalog.PutHost(r.Context(), h); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := a.Catalog.Snapshot().Host(h.Name)
	a.record(r, events.Event{Kind: events.Action, MAC: h.MAC.HardwareAddr, Host: h.Name,
		Detail: fmt.Sprintf("profile %s → %s", cmp.Or(was, "(default)"), req.Profile)})
	JSON(w, http.StatusOK, got)
}

// reinstall makes a host boot its profile once more: netboot once, the
// install record cleared, then a wake (the installer's callback ends it).
func (a *Actions) reinstall(w http.ResponseWriter, r *http.Request) {
	old, ok := a.host(w, r)
	if !ok {
		return
	}
	h := old.Host
	if h.Netboot != config.NetbootOnce {
		h.Netboot = config.NetbootOnce
		if err := a.Catalog.PutHost(r.Context(), h); err != nil {
			catalogError(w, err)
			return
		}
	}
	if err := a.Catalog.SetInstalled(r.Context(), h.Name, false); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := a.Catalog.Snapshot().Host(h.Name)
	a.record(r, events.Event{Kind: events.Action, MAC: h.MAC.HardwareAddr, Host: h.Name, Detail: "reinstall: netboot once"})
	out := ReinstallJSON{Host: got}
	if wj, err := a.sendWake(r, got); err != nil {
		out.WakeError = err.Error()
	} else {
		out.Wake = wj
	}
	JSON(w, http.StatusOK, out)
}

// wake sends the host's magic packet: 200 with where it went.
func (a *Actions) wake(w http.ResponseWriter, r *http.Request) {
	h, ok := a.host(w, r)
	if !ok {
		return
	}
	wj, err := a.sendWake(r, h)
	switch {
	case errors.Is(err, errNoWaker):
		Error(w, http.StatusNotImplemented, err.Error())
	case errors.Is(err, errNoMAC):
		Error(w, http.StatusUnprocessableEntity, err.Error())
	case err != nil:
		Error(w, http.StatusInternalServerError, err.Error())
	default:
		JSON(w, http.StatusOK, wj)
	}
}

var (
	errNoWaker = errors.New("this pxed cannot send wake-on-LAN")
	errNoMAC   = errors.New("the host has no single MAC address to wake (mac)")
)

// sendWake wakes h and records the wake.
func (a *Actions) sendWake(r *http.Request, h *catalog.Host) (*WakeJSON, error) {
	if a.Waker == nil {
		return nil, errNoWaker
	}
	mac := h.MAC.HardwareAddr
	if len(mac) != 6 {
		return nil, fmt.Errorf("host %s: %w", h.Name, errNoMAC)
	}
	to, err := a.Waker.Wake(r.Context(), mac, h.IP.Addr)
	if err != nil {
		return nil, fmt.Errorf("waking host %s: %w", h.Name, err)
	}
	wj := &WakeJSON{MAC: mac.String(), SentTo: []string{}}
	for _, t := range to {
		wj.SentTo = append(wj.SentTo, t.String())
	}
	a.record(r, events.Event{Kind: events.Action, MAC: mac, Host: h.Name, Proto: "wol",
		Detail: "wake-on-LAN to " + strings.Join(wj.SentTo, ", ")})
	return wj, nil
}

// host is the host the path names, or false after a 404.
func (a *Actions) host(w http.ResponseWriter, r *http.Request) (*catalog.Host, bool) {
	h, ok := a.Catalog.Snapshot().Host(r.PathValue("name"))
	if !ok {
		Error(w, http.StatusNotFound, "no host "+r.PathValue("name"))
	}
	return h, ok
}

// record stamps e with who acted and records it.
func (a *Actions) record(r *http.Request, e events.Event) {
	if a.Events == nil {
		return
	}
	e.By = Actor(r)
	a.Events.Record(e)
}

// Actor says who made r, for the timeline: the name the client gives in
// ActorHeader, cleaned, then the address it came from ("dashboard
// 192.0.2.7", "cli alice 127.0.0.1"). The name is bounded and kept to
// printable ASCII, so a client cannot fill the log or forge lines.
func Actor(r *http.Request) string {
	name := cleanActor(r.Header.Get(ActorHeader))
	addr := r.RemoteAddr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		addr = ap.Addr().Unmap().String()
	}
	if name == "" {
		return addr
	}
	return name + " " + addr
}

// cleanActor keeps letters, digits, space and ".-_@+:" of s, the others
// become "_"; runs of space fold into one, and it is cut to maxActor bytes.
func cleanActor(s string) string {
	var b strings.Builder
	space := false
	for _, c := range strings.TrimSpace(s) {
		if b.Len() >= maxActor {
			break
		}
		switch {
		case c == ' ' || c == '\t':
			space = true
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune(".-_@+:", c):
		default:
			c = '_'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(c)
	}
	out := b.String()
	if len(out) > maxActor {
		out = out[:maxActor]
	}
	return out
}
