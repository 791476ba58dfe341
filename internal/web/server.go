package web

import (
	"cmp"
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/httpserve"
	"github.com/pxed/pxed/internal/logsink"
)

// Access says who may call a route.
type Access int

const (
	// Read routes show state. They need the token unless PublicRead is set.
	Read Access = iota
	// Write routes change state and always need the token.
	Write
	// Open routes check their caller themselves (an install callback
	// carries its host's own token) or show nothing sensitive.
	Open
)

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case Open:
		return "open"
	}
	return "unknown"
}

// MaxBody bounds every request body: the API takes small JSON documents.
const MaxBody = 1 << 20

// Server routes management requests. Register routes with Handle before
// Serve; the zero value serves nothing but 404s.
type Server struct {
	// Token authorizes requests. Empty: mutations are refused and reads
	// are allowed only with PublicRead.
	Token []byte
	// PublicRead lets anyone who reaches the address read without the token.
	PublicRead bool
	Logger     *slog.Logger
	// ReadTimeout and WriteTimeout bound reading a request and writing its
	// response (defaults 15 s and 30 s); an event stream sets its own write
	// deadline per message instead.
	ReadTimeout, WriteTimeout time.Duration

	mux *http.ServeMux
}

func (s *Server) logger() *slog.Logger {
	return logsink.Or(s.Logger)
}

// Handle registers h for pattern (net/http's ServeMux syntax, e.g.
// "GET /api/v1/leases") behind the access check a asks for.
func (s *Server) Handle(pattern string, a Access, h http.Handler) {
	if s.mux == nil {
		s.mux = http.NewServeMux()
	}
	s.mux.Handle(pattern, s.guard(a, h))
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, a Access, h func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, a, http.HandlerFunc(h))
}

func (s *Server) guard(a Access, h http.Handler) http.Handler {
	// A browser that holds the token (the dashboard keeps it for the
	// session) must not be made to use it by another site's page: a write
	// whose Sec-Fetch-Site says cross-site, or whose Origin is not this
	// server, is refused before the token is looked at. The token is never
	// a cookie, so a browser does not add it to a foreign request by
	// itself; this is the second lock. CLI and scripts send neither
	// header and pass.
	var cop *http.CrossOriginProtection
	if a == Write {
		cop = http.NewCrossOriginProtection()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if cop != nil {
			if err := cop.Check(r); err != nil {
				Error(w, http.StatusForbidden, "refused: "+err.Error())
				return
			}
		}
		if !s.allowed(a, r) {
			if a == Write && len(s.Token) == 0 {
				Error(w, http.StatusForbidden, "changes are disabled: no API token is configured (web.token_file)")
				return
			}
			// Basic lets a browser prompt for the token (as the password).
			w.Header().Set("WWW-Authenticate", `Basic realm="pxed", charset="UTF-8"`)
			Error(w, http.StatusUnauthorized, "this needs the API token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// allowed decides access for r.
func (s *Server) allowed(a Access, r *http.Request) bool {
	switch a {
	case Open:
		return true
	case Read:
		if s.PublicRead {
			return true
		}
	}
	return s.authorized(r)
}

// authorized reports whether r carries the token.
func (s *Server) authorized(r *http.Request) bool {
	if len(s.Token) == 0 {
		return false
	}
	var given string
	if _, pass, ok := r.BasicAuth(); ok {
		given = pass
	} else if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = strings.TrimSpace(v)
	} else {
		return false
	}
	// Constant time, so that response timing does not reveal how much of
	// a guess was right.
	return subtle.ConstantTimeCompare([]byte(given), s.Token) == 1
}

// ServeHTTP dispatches to the registered routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.mux == nil {
		http.NotFound(w, r)
		return
	}
	// The management pages are not to be framed or sniffed by browsers.
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// Serve serves on an open listener until ctx ends. The write timeout bounds
// every ordinary response; a long-lived stream (server-sent events) lifts
// it for itself with http.ResponseController.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cmp.Or(s.ReadTimeout, 15*time.Second),
		WriteTimeout:      cmp.Or(s.WriteTimeout, 30*time.Second),
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelDebug),
	}
	return httpserve.Serve(ctx, hs, ln)
}
