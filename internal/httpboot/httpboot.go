// Package httpboot serves the boot root over HTTP, for loaders that can use
// it (iPXE, PXELINUX running on iPXE, GRUB, UEFI HTTP Boot): TCP moves
// kernels and initrds far faster than lock-step TFTP. Files come from the
// same confined root as TFTP's, with Range requests and Content-Length
// (net/http's ServeContent), read-only. GRUB's TCP gets two allowances
// on Linux (segment.go): full-size segments though its SYN announces no
// MSS, and a reset once it has acknowledged a file, which ends its read
// without a 0.42 s wait.
package httpboot

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/httpserve"
	"github.com/pxed/pxed/internal/logsink"
)

// Server serves files from Files (the boot root) over HTTP.
type Server struct {
	// Files opens a path under the boot root; the same opener as the TFTP
	// server's, so that both protocols see the same files under the same
	// confinement.
	Files  bootfs.Opener
	Logger *slog.Logger
	Events events.Recorder
	// Callback, if set, answers POST /api/v1/hosts/NAME/installed, the
	// install callback of netboot-once hosts (web.InstallCallback): the
	// installed machine reaches this server, which is on its network. It
	// is the one route here that is not a file.
	Callback http.Handler
	// Agents, if set, answers the discovery agent's routes under
	// /api/v1/discovery/ (web.Agents): its inventory report and its polls.
	Agents http.Handler

	// Limits on slow, idle and stalled clients; zero means the default.
	// ReadHeaderTimeout bounds reading a request (line and headers; there
	// is no body): default 10 s. IdleTimeout bounds the wait for the next
	// request on a kept-alive connection: default 60 s. StallTimeout bounds
	// how long one write of a response may block: a client that stops
	// reading is cut off after it, while one that reads slowly but steadily
	// (an initrd over a slow link may take minutes) is not. Default 60 s:
	// Linux wakes a blocked writer only once about a third of the send
	// buffer (up to 4 MB) has drained, so the client must take some 1.4 MB
	// within it; 60 s allows clients down to about 25 KB/s.
	ReadHeaderTimeout, IdleTimeout, StallTimeout time.Duration

	// TLS, when set, makes Serve speak HTTPS on its listener. A handshake
	// a client starts and does not finish is recorded as a failure of its
	// boot (events.OutcomeTLS): firmware that does not trust the
	// certificate hangs up without a word on the wire, so this is the only
	// place the reason can be seen.
	TLS *tls.Config

	// Tracker, if set, follows each GET of a file while its body is sent
	// (the dashboard's progress bars).
	Tracker Tracker
}

// Tracker follows transfers while they run. Begin is called as a file's
// response starts, with the Content-Length the client was told (the
// range's, for a Range request); sent is then called with the body bytes
// written so far after each write, and end once when the response is done.
// sent is called on every write, so it must be cheap.
type Tracker interface {
	Begin(proto, file string, client netip.AddrPort, size int64) (sent func(bytes int64), end func())
}

// agentPrefix is where Agents' routes live (web.AgentPrefix).
const agentPrefix = "/api/v1/discovery/"

// MaxHeaderBytes caps a request's line and headers; a boot loader's GET
// needs a few hundred bytes. Larger requests get 431.
const MaxHeaderBytes = 16 << 10

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Server) logger() *slog.Logger {
	return logsink.Or(s.Logger)
}

// ServeHTTP answers GET and HEAD for files under the root.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && s.Callback != nil {
		if name, ok := callbackHost(r.URL.Path); ok {
			r.SetPathValue("name", name)
			r.Body = http.MaxBytesReader(w, r.Body, 4096) // the callback has nothing to say in its body
			s.Callback.ServeHTTP(w, r)
			return
		}
	}
	if s.Agents != nil && strings.HasPrefix(r.URL.Path, agentPrefix) {
		s.Agents.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	// GET and HEAD carry no body here; one announced anyway is refused
	// before a byte of it is read, and the connection closed, so that it
	// is never parsed as the next request.
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		w.Header().Set("Connection", "close")
		http.Error(w, "request bodies are not accepted", http.StatusRequestEntityTooLarge)
		return
	}
	start := time.Now()
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	remote, _ := netip.ParseAddrPort(r.RemoteAddr)
	name := strings.TrimPrefix(r.URL.Path, "/")
	req := &bootfs.Request{Path: name, Remote: remote}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			req.Local = ap.Addr().Unmap()
		}
	}
	f, err := s.Files.Open(r.Context(), req)
	if err != nil {
		code := http.StatusInternalServerError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			code = http.StatusNotFound
		case errors.Is(err, fs.ErrPermission):
			code = http.StatusForbidden
		}
		http.Error(w, http.StatusText(code), code)
		s.finish(proto, remote, name, 0, time.Since(start), err)
		return
	}
	defer f.Close()
	// A file that knows its media type says so (a RAM-disk image is
	// application/vnd.efi-img to UEFI HTTP Boot); ServeContent guesses the
	// others' from the name.
	if t, ok := f.(interface{ ContentType() string }); ok {
		w.Header().Set("Content-Type", t.ContentType())
	}
	if r.Method == http.MethodGet {
		s.sizeSegments(r, remote)
	}
	cw := &countingWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: orDefault(s.StallTimeout, 60*time.Second)}
	if s.Tracker != nil && r.Method == http.MethodGet {
		cw.begin = func(size int64) (func(int64), func()) { return s.Tracker.Begin(proto, name, remote, size) }
		defer cw.end()
	}
	// ServeContent handles Range, If-Modified-Since and HEAD, and sets
	// Content-Length; the zero modification time leaves Last-Modified out.
	http.ServeContent(cw, r, name, time.Time{}, io.NewSectionReader(f, 0, f.Size()))
	var ferr error
	if r.Method == http.MethodGet && r.Header.Get("Range") == "" && cw.n < f.Size() {
		ferr = errors.New("client went away before the end")
	}
	if r.Method == http.MethodGet {
		s.finish(proto, remote, name, cw.n, time.Since(start), ferr)
		if ferr == nil && isGRUB(r.Header.Get("User-Agent")) {
			s.resetWhenAcked(w, remote)
		}
	} else {
		// UEFI HTTP Boot asks the size with HEAD before its GET (EDK2's
		// HttpBootLoadFile); the debug log shows the pair.
		s.logger().Debug("http head", "ip", remote.Addr().String(), "file", name, "bytes", f.Size(), "type", w.Header().Get("Content-Type"))
	}
}

// finish logs and records a GET that ended, with err if it failed: its
// outcome as events.FileFailure judges it, as for TFTP.
func (s *Server) finish(proto string, remote netip.AddrPort, name string, n int64, d time.Duration, err error) {
	attrs := []any{"ip", remote.Addr().String(), "file", name, "bytes", n, "dur", d}
	e := events.Event{Time: time.Now(), IP: remote.Addr().Unmap(), Proto: proto, File: name, Bytes: n, Dur: d, Kind: events.FileServed}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
		e.Kind = events.FileFailed
		e.Outcome, e.Detail = events.FileFailure(err)
	}
	s.logger().Info(proto+" transfer", attrs...)
	if s.Events != nil {
		s.Events.Record(e)
	}
}

// countingWriter counts the bytes written and gives each write its own
// deadline (the stall timeout), so a transfer may take as long as the
// client keeps reading.
type countingWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
	n     int64

	// begin, when set, starts tracking the body at its first write, once
	// ServeContent has set Content-Length; sent and done are what it gave.
	begin func(size int64) (sent func(int64), done func())
	sent  func(int64)
	done  func()
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.begin != nil && c.sent == nil {
		size, err := strconv.ParseInt(c.Header().Get("Content-Length"), 10, 64)
		if err != nil {
			size = -1
		}
		c.sent, c.done = c.begin(size)
	}
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.stall))
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	if c.sent != nil {
		c.sent(c.n)
	}
	return n, err
}

// end ends the tracking of the body, if it began.
func (c *countingWriter) end() {
	if c.done != nil {
		c.done()
	}
}

// Serve serves on an open listener until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	readHeader := orDefault(s.ReadHeaderTimeout, 10*time.Second)
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeader,
		// No ReadTimeout: no body is read, so reading a request is reading
		// its headers; and net/http keeps that deadline on the connection
		// while the handler runs, cancelling the request's context in the
		// middle of a long download. No WriteTimeout for the whole
		// response either: a slow link may need minutes for an initrd;
		// each write has the stall timeout instead.
		IdleTimeout: orDefault(s.IdleTimeout, 60*time.Second),
		// The handler reaches the connection's socket through its
		// context (sizeSegments).
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		MaxHeaderBytes: MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.logger().Handler(), slog.LevelDebug),
	}
	if s.TLS != nil {
		ln = s.tlsListener(ln)
		hs.ConnState = s.watchHandshake
	}
	return httpserve.Serve(ctx, hs, ln)
}

// connKey keys the request context's net.Conn (Serve's ConnContext).
type connKey struct{}

// sizeSegments gives the connection of a GET the segment size that
// grubSegment decides, before the first byte of the answer is sent (the
// kernel lets the peer's MSS be set only then). It logs what it did or
// why it could not; the answer goes out either way.
func (s *Server) sizeSegments(r *http.Request, remote netip.AddrPort) {
	ua := r.Header.Get("User-Agent")
	if !isGRUB(ua) {
		return // the common case costs no system call
	}
	c, ok := r.Context().Value(connKey{}).(net.Conn)
	if !ok {
		return // TLS: GRUB does not speak it
	}
	sent, adv, err := segmentSizes(c)
	if err != nil {
		s.logger().Debug("http segment size unread", "ip", remote.Addr().String(), "error", err.Error())
		return
	}
	mss, ok := grubSegment(ua, remote.Addr(), sent, adv)
	if !ok {
		return
	}
	if err := setSegment(c, mss); err != nil {
		s.logger().Debug("http segment size unchanged", "ip", remote.Addr().String(), "mss", sent, "error", err.Error())
		return
	}
	now, _, _ := segmentSizes(c)
	s.logger().Debug("http segment size raised", "ip", remote.Addr().String(), "agent", ua, "from", sent, "to", now)
}

// resetWhenAcked ends a GET's connection with a reset once the client
// has acknowledged the whole answer, rather than keeping it open.
//
// GRUB 2.06 reads a file by polling the card for 420 ms at a time
// (GRUB_NET_INTERVAL + GRUB_NET_INTERVAL_ADDITION, net.c
// grub_net_fs_read_real), and stops a poll early only once 20 packets
// are queued or the connection has failed (http.c sets stall then). The
// last few segments of a file therefore wait out the poll: 0.42 s after
// the kernel's last byte, seen in captures. Its http registers no hook for
// a FIN (grub_net_tcp_open (…, http_receive, http_err, NULL, …)), so a
// plain close changes nothing; a reset runs http_err, which marks the
// file at its end and the poll over. By then GRUB holds every byte (it
// acknowledges only what it has queued in order), and it opens a new
// connection for each file, so nothing is lost. Waiting for the ACKs is
// bounded by the stall timeout; past it the connection closes as usual.
func (s *Server) resetWhenAcked(w http.ResponseWriter, remote netip.AddrPort) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}
	c, _, err := rc.Hijack()
	if err != nil {
		s.logger().Debug("http reset skipped", "ip", remote.Addr().String(), "error", err.Error())
		return
	}
	defer c.Close()
	if err := drained(c, orDefault(s.StallTimeout, 60*time.Second)); err != nil {
		s.logger().Debug("http reset skipped", "ip", remote.Addr().String(), "error", err.Error())
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close now aborts: RST (RFC 9293 §3.10.5)
	}
}

// callbackHost reads NAME from /api/v1/hosts/NAME/installed.
func callbackHost(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/v1/hosts/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/installed")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}
