package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
)

// CatalogRoutes registers the hosts, profiles, discovery rules and
// discovered-machines API on s (docs/profiles.md and docs/discovery.md
// list them). Changes go through c, which stores
// them durably before it answers and publishes them to the DHCP and TFTP
// paths at once. An accepted install callback is recorded to ev (if not
// nil), so that it ends the machine's boot timeline.
func CatalogRoutes(s *Server, c *catalog.Catalog, ev events.Recorder) {
	hosts := collection[config.Host, *catalog.Host]{
		kind: "host", c: c,
		list: (*catalog.Snapshot).Hosts, get: (*catalog.Snapshot).Host,
		put: c.PutHost, del: c.DeleteHost,
		name: func(h *config.Host) *string { return &h.Name },
	}
	hosts.register(s, "/api/v1/hosts")
	s.Handle("POST "+InstalledPattern, Open, InstallCallback(c, ev))
	s.Handle(AgentPrefix, Open, Agents(c, ev))
	s.HandleFunc("DELETE /api/v1/hosts/{name}/installed", Write, func(w http.ResponseWriter, r *http.Request) {
		// A netboot-once host installs again.
		changed(w, c.SetInstalled(r.Context(), r.PathValue("name"), false))
	})

	profiles := collection[config.Profile, *catalog.Profile]{
		kind: "profile", c: c,
		list: (*catalog.Snapshot).Profiles, get: (*catalog.Snapshot).Profile,
		put: c.PutProfile, del: c.DeleteProfile,
		name: func(p *config.Profile) *string { return &p.Name },
	}
	profiles.register(s, "/api/v1/profiles")

	rules := collection[config.Rule, *catalog.Rule]{
		kind: "rule", c: c,
		list: (*catalog.Snapshot).Rules, get: (*catalog.Snapshot).Rule,
		put: c.PutRule, del: c.DeleteRule,
		name: func(r *config.Rule) *string { return &r.Name },
	}
	rules.register(s, "/api/v1/rules")

	a := catalogAPI{c}
	s.HandleFunc("GET /api/v1/discovered", Read, a.listDiscovered)
	s.HandleFunc("DELETE /api/v1/discovered/{mac}", Write, a.forgetDiscovered)
	s.HandleFunc("GET /api/v1/inventory/{mac}", Read, a.machine)
}

// collection is a named kind of catalog entry (hosts, profiles, rules) under one
// path: list, get, put (add or replace) and delete by name. In is what a
// PUT carries, Out what the catalog answers with.
type collection[In any, Out any] struct {
	kind string // "host": for messages
	c    *catalog.Catalog
	list func(*catalog.Snapshot) []Out
	get  func(*catalog.Snapshot, string) (Out, bool)
	put  func(context.Context, In) error
	del  func(context.Context, string) error
	name func(*In) *string // the entry's name field
}

func (k collection[In, Out]) register(s *Server, path string) {
	s.HandleFunc("GET "+path, Read, k.listAll)
	s.HandleFunc("GET "+path+"/{name}", Read, k.getOne)
	s.HandleFunc("PUT "+path+"/{name}", Write, k.putOne)
	s.HandleFunc("DELETE "+path+"/{name}", Write, k.deleteOne)
}

// listAll answers every entry, [] when there are none.
func (k collection[In, Out]) listAll(w http.ResponseWriter, r *http.Request) {
	all := k.list(k.c.Snapshot())
	if all == nil {
		all = []Out{}
	}
	JSON(w, http.StatusOK, all)
}

func (k collection[In, Out]) getOne(w http.ResponseWriter, r *http.Request) {
	v, ok := k.get(k.c.Snapshot(), r.PathValue("name"))
	found(w, v, ok, "no "+k.kind+" "+r.PathValue("name"))
}

// putOne adds or replaces the entry the path names; it answers the entry
// as the catalog now has it.
func (k collection[In, Out]) putOne(w http.ResponseWriter, r *http.Request) {
	var v In
	name, ok := decodeNamed(w, r, &v, k.name(&v), k.kind)
	if !ok {
		return
	}
	if err := k.put(r.Context(), v); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := k.get(k.c.Snapshot(), name)
	JSON(w, http.StatusOK, got)
}

func (k collection[In, Out]) deleteOne(w http.ResponseWriter, r *http.Request) {
	changed(w, k.del(r.Context(), r.PathValue("name")))
}

// catalogAPI answers the discovered-machine routes from c.
type catalogAPI struct{ c *catalog.Catalog }

// listDiscovered answers the machines seen booting without a host entry
// ([] when there are none).
func (a catalogAPI) listDiscovered(w http.ResponseWriter, r *http.Request) {
	ms := a.c.Snapshot().Discovered()
	if ms == nil {
		ms = []catalog.Machine{}
	}
	JSON(w, http.StatusOK, ms)
}

// machine answers the record of one machine, discovered or adopted: its
// inventory, the rule that matched it, the host it became.
func (a catalogAPI) machine(w http.ResponseWriter, r *http.Request) {
	mac, err := net.ParseMAC(r.PathValue("mac"))
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	m, ok := a.c.Snapshot().Machine(mac)
	found(w, m, ok, "no machine "+mac.String()+" recorded (its discovery boot has not reported)")
}

// forgetDiscovered removes a discovered machine, by its MAC in any of the
// forms net.ParseMAC reads.
func (a catalogAPI) forgetDiscovered(w http.ResponseWriter, r *http.Request) {
	mac, err := net.ParseMAC(r.PathValue("mac"))
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	changed(w, a.c.DeleteMachine(r.Context(), mac))
}

// found answers v, or 404 with msg when there is none (!ok).
func found(w http.ResponseWriter, v any, ok bool, msg string) {
	if !ok {
		Error(w, http.StatusNotFound, msg)
		return
	}
	JSON(w, http.StatusOK, v)
}

// decodeNamed reads the body of a PUT into v, whose name field is *name:
// left empty, it is the path's {name}; a different one is refused with
// 400, as is a body that does not decode. It returns the path's name and
// whether the request goes on.
func decodeNamed(w http.ResponseWriter, r *http.Request, v any, name *string, what string) (string, bool) {
	if err := Decode(r, v); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	path := r.PathValue("name")
	if *name == "" {
		*name = path
	}
	if !strings.EqualFold(*name, path) {
		Error(w, http.StatusBadRequest, "the body names "+what+" "+*name+", the path "+path)
		return "", false
	}
	return path, true
}

// changed answers a change that has no body to return: 204, or err as
// catalogError answers it.
func changed(w http.ResponseWriter, err error) {
	if err != nil {
		catalogError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// InstalledPattern is the path of the install callback, with the host's
// name as {name}.
const InstalledPattern = "/api/v1/hosts/{name}/installed"

// InstallCallback answers POST /api/v1/hosts/{name}/installed: the installed
// system of a netboot-once host reports that it is done, and the host boots
// local from then on. It needs no API token (Open: the installed system has
// none); it carries its host's own token (catalog.CallbackToken) in the
// query, as a preseed late_command's wget can send it. pxed serves it on the
// web address and, since machines reach that one, on the HTTP boot server.
//
// An accepted callback is recorded to ev (if not nil), so that it ends the
// machine's boot timeline.
func InstallCallback(c *catalog.Catalog, ev events.Recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !c.CheckCallback(name, r.URL.Query().Get("token")) {
			Error(w, http.StatusForbidden, "wrong or missing callback token for host "+name)
			return
		}
		if err := c.SetInstalled(r.Context(), name, true); err != nil {
			catalogError(w, err)
			return
		}
		if ev != nil {
			// The host's MAC when it has one; else the Log finds the
			// machine by the address it calls back from.
			e := events.Event{Kind: events.Callback, Proto: "http", Host: name, Detail: "done"}
			if h, ok := c.Snapshot().Host(name); ok {
				e.Host, e.MAC = h.Name, h.MAC.HardwareAddr
			}
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				e.IP = ap.Addr().Unmap()
			}
			ev.Record(e)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// catalogError answers a refused change: 404 for a missing entry, 422 with
// every problem for an invalid one, 500 for a store that failed.
func catalogError(w http.ResponseWriter, err error) {
	var inv *catalog.InvalidError
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		Error(w, http.StatusNotFound, err.Error())
	case errors.As(err, &inv):
		var msgs []string
		for _, p := range inv.Problems {
			msgs = append(msgs, p.Msg)
		}
		JSON(w, http.StatusUnprocessableEntity, map[string]any{"error": inv.Error(), "problems": msgs})
	default:
		Error(w, http.StatusInternalServerError, err.Error())
	}
}
