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
	s.HandleFunc("GET /api/v1/hosts", Read, func(w http.ResponseWriter, r *http.Request) {
		JSON(w, http.StatusOK, c.Snapshot().Hosts())
	})
	s.HandleFunc("GET /api/v1/hosts/{name}", Read, func(w http.ResponseWriter, r *http.Request) {
		h, ok := c.Snapshot().Host(r.PathValue("name"))
		if !ok {
			Error(w, http.StatusNotFound, "no host "+r.PathValue("name"))
			return
		}
		JSON(w, http.StatusOK, h)
	})
	s.HandleFunc("PUT /api/v1/hosts/{name}", Write, func(w http.ResponseWriter, r *http.Request) {
		var h config.Host
		if err := Decode(r, &h); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
		name := r.PathValue("name")
		if h.Name == "" {
			h.Name = name
		}
		if !strings.EqualFold(h.Name, name) {
			Error(w, http.StatusBadRequest, "the body names host "+h.Name+", the path "+name)
			return
		}
		if err := c.PutHost(r.Context(), h); err != nil {
			catalogError(w, err)
			return
		}
		got, _ := c.Snapshot().Host(name)
		JSON(w, http.StatusOK, got)
	})
	s.HandleFunc("DELETE /api/v1/hosts/{name}", Write, func(w http.ResponseWriter, r *http.Request) {
		if err := c.DeleteHost(r.Context(), r.PathValue("name")); err != nil {
			catalogError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.Handle("POST "+InstalledPattern, Open, InstallCallback(c, ev))
	// Clearing the record makes a netboot-once host install again.
	s.HandleFunc("DELETE /api/v1/hosts/{name}/installed", Write, func(w http.ResponseWriter, r *http.Request) {
		if err := c.SetInstalled(r.Context(), r.PathValue("name"), false); err != nil {
			catalogError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	s.HandleFunc("GET /api/v1/profiles", Read, func(w http.ResponseWriter, r *http.Request) {
		JSON(w, http.StatusOK, c.Snapshot().Profiles())
	})
	s.HandleFunc("GET /api/v1/profiles/{name}", Read, func(w http.ResponseWriter, r *http.Request) {
		p, ok := c.Snapshot().Profile(r.PathValue("name"))
		if !ok {
			Error(w, http.StatusNotFound, "no profile "+r.PathValue("name"))
			return
		}
		JSON(w, http.StatusOK, p)
	})
	s.HandleFunc("PUT /api/v1/profiles/{name}", Write, func(w http.ResponseWriter, r *http.Request) {
		var p config.Profile
		if err := Decode(r, &p); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
		name := r.PathValue("name")
		if p.Name == "" {
			p.Name = name
		}
		if !strings.EqualFold(p.Name, name) {
			Error(w, http.StatusBadRequest, "the body names profile "+p.Name+", the path "+name)
			return
		}
		if err := c.PutProfile(r.Context(), p); err != nil {
			catalogError(w, err)
			return
		}
		got, _ := c.Snapshot().Profile(name)
		JSON(w, http.StatusOK, got)
	})
	s.HandleFunc("DELETE /api/v1/profiles/{name}", Write, func(w http.ResponseWriter, r *http.Request) {
		if err := c.DeleteProfile(r.Context(), r.PathValue("name")); err != nil {
			catalogError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	s.HandleFunc("GET /api/v1/discovered", Read, func(w http.ResponseWriter, r *http.Request) {
		ms := c.Snapshot().Machines()
		if ms == nil {
			ms = []catalog.Machine{}
		}
		JSON(w, http.StatusOK, ms)
	})
	s.HandleFunc("DELETE /api/v1/discovered/{mac}", Write, func(w http.ResponseWriter, r *http.Request) {
		mac, err := net.ParseMAC(r.PathValue("mac"))
		if err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := c.DeleteMachine(r.Context(), mac); err != nil {
			catalogError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
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
