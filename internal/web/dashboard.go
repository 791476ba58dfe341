package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// The dashboard is three static files compiled into the binary: no build
// step, nothing fetched from elsewhere (boot networks are often isolated).
//
//go:embed dashboard
var dashboardFiles embed.FS

// contentSecurity lets the dashboard load only its own script and style and
// talk only to its own origin: even a name a DHCP client made up that slipped
// past escaping could run nothing.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Dashboard serves the page at / and its assets under /static/.
func Dashboard() (page, static http.Handler) {
	sub, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurity)
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	static = http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || r.URL.Path == "index.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", contentSecurity)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return page, static
}

// RegisterDashboard adds the dashboard's routes to s. The page needs read
// access, so a browser asks for the token once (Basic, the token as the
// password) and then sends it with the page's own requests; the script and
// style sheet show nothing and are open.
func RegisterDashboard(s *Server) {
	page, static := Dashboard()
	s.Handle("GET /{$}", Read, page)
	s.Handle("GET /static/", Open, static)
}
