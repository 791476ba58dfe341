package web

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
)

// CatalogRoutes registers the hosts, profiles and discovered-machines API
// on s (docs/profiles.md lists them). Changes go through c, which stores
// them durably before it answers and publishes them to the DHCP and TFTP
// paths at once. An accepted install callback is recorded to ev (if not
// nil), so that it ends the machine's boot timeline.
func CatalogRoutes(s *Server, c *catalog.Catalog, ev events.Recorder) {
	a := catalogAPI{c}
	s.HandleFunc("GET /api/v1/hosts", Read, a.listHosts)
	s.HandleFunc("GET /api/v1/hosts/{name}", Read, a.getHost)
	s.HandleFunc("PUT /api/v1/hosts/{name}", Write, a.putHost)
	s.HandleFunc("DELETE /api/v1/hosts/{name}", Write, a.deleteHost)
	s.Handle("POST "+InstalledPattern, Open, InstallCallback(c, ev))
	s.HandleFunc("DELETE /api/v1/hosts/{name}/installed", Write, a.clearInstalled)

	s.HandleFunc("GET /api/v1/profiles", Read, a.listProfiles)
	s.HandleFunc("GET /api/v1/profiles/{name}", Read, a.getProfile)
	s.HandleFunc("PUT /api/v1/profiles/{name}", Write, a.putProfile)
	s.HandleFunc("DELETE /api/v1/profiles/{name}", Write, a.deleteProfile)

	s.HandleFunc("GET /api/v1/discovered", Read, a.listDiscovered)
	s.HandleFunc("DELETE /api/v1/discovered/{mac}", Write, a.forgetDiscovered)
}

// catalogAPI answers the catalog routes from c.
type catalogAPI struct{ c *catalog.Catalog }

func (a catalogAPI) listHosts(w http.ResponseWriter, r *http.Request) {
	JSON(w, http.StatusOK, a.c.Snapshot().Hosts())
}

func (a catalogAPI) getHost(w http.ResponseWriter, r *http.Request) {
	h, ok := a.c.Snapshot().Host(r.PathValue("name"))
	found(w, h, ok, "no host "+r.PathValue("name"))
}

// putHost adds or replaces the host the path names; it answers the host
// as the catalog now has it.
func (a catalogAPI) putHost(w http.ResponseWriter, r *http.Request) {
	var h config.Host
	name, ok := decodeNamed(w, r, &h, &h.Name, "host")
	if !ok {
		return
	}
	if err := a.c.PutHost(r.Context(), h); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := a.c.Snapshot().Host(name)
	JSON(w, http.StatusOK, got)
}

func (a catalogAPI) deleteHost(w http.ResponseWriter, r *http.Request) {
	changed(w, a.c.DeleteHost(r.Context(), r.PathValue("name")))
}

// clearInstalled clears a host's install record, so that a netboot-once
// host installs again.
func (a catalogAPI) clearInstalled(w http.ResponseWriter, r *http.Request) {
	changed(w, a.c.SetInstalled(r.Context(), r.PathValue("name"), false))
}

func (a catalogAPI) listProfiles(w http.ResponseWriter, r *http.Request) {
	JSON(w, http.StatusOK, a.c.Snapshot().Profiles())
}

func (a catalogAPI) getProfile(w http.ResponseWriter, r *http.Request) {
	p, ok := a.c.Snapshot().Profile(r.PathValue("name"))
	found(w, p, ok, "no profile "+r.PathValue("name"))
}

// putProfile adds or replaces the profile the path names; it answers the
// profile as the catalog now has it.
func (a catalogAPI) putProfile(w http.ResponseWriter, r *http.Request) {
	var p config.Profile
	name, ok := decodeNamed(w, r, &p, &p.Name, "profile")
	if !ok {
		return
	}
	if err := a.c.PutProfile(r.Context(), p); err != nil {
		catalogError(w, err)
		return
	}
	got, _ := a.c.Snapshot().Profile(name)
	JSON(w, http.StatusOK, got)
}

func (a catalogAPI) deleteProfile(w http.ResponseWriter, r *http.Request) {
	changed(w, a.c.DeleteProfile(r.Context(), r.PathValue("name")))
}

// listDiscovered answers the machines seen booting without a host entry
// ([] when there are none).
func (a catalogAPI) listDiscovered(w http.ResponseWriter, r *http.Request) {
	ms := a.c.Snapshot().Machines()
	if ms == nil {
		ms = []catalog.Machine{}
	}
	JSON(w, http.StatusOK, ms)
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
