package web

import (
	"context"
	"net/http"
	"time"
)

// Reload is what became of a reading of the config file: at the start, or
// a reload (SIGHUP, `pxed reload`, POST /api/v1/reload). The API answers a
// reload with it and shows the last one; the dashboard warns when the file
// was refused.
type Reload struct {
	// At is when the file was read.
	At time.Time `json:"at"`
	// Applied: the file serves now. False: it was refused, and the
	// config read before serves on.
	Applied bool `json:"applied"`
	// Problems are the file's, as `pxed check` prints them (FILE:LINE:
	// message), when it was refused.
	Problems []string `json:"problems,omitempty"`
	// Changed are the fields that changed and apply ("dhcp.subnets").
	Changed []string `json:"changed,omitempty"`
	// NeedsRestart are the fields that changed but apply only once pxed
	// restarts ("http.address"); the rest applied.
	NeedsRestart []string `json:"needs_restart,omitempty"`
	// Duration is how long the reading, checking and applying took.
	Duration string `json:"duration,omitempty"`
}

// Reloader reads the config file again and applies it (Reload), and says
// how the last reading went (Last).
type Reloader interface {
	Reload(ctx context.Context) Reload
	Last() Reload
}

// RegisterReload adds POST /api/v1/reload (a write: it applies the file
// now; 200 when it applied, 422 with the problems when it was refused) and
// GET /api/v1/reload, the last reading.
func RegisterReload(srv *Server, r Reloader) {
	srv.HandleFunc("POST /api/v1/reload", Write, func(w http.ResponseWriter, req *http.Request) {
		res := r.Reload(req.Context())
		code := http.StatusOK
		if !res.Applied {
			code = http.StatusUnprocessableEntity
		}
		JSON(w, code, res)
	})
	srv.HandleFunc("GET /api/v1/reload", Read, func(w http.ResponseWriter, _ *http.Request) {
		JSON(w, http.StatusOK, r.Last())
	})
}
