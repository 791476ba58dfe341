package httpboot

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/events"
)

func serve(t *testing.T) (string, string, *events.Log) {
	t.Helper()
	return serveWith(t, nil)
}

// serveWith serves a root with a 1 MB debian-installer/linux, after edit
// (if set) has changed the Server.
func serveWith(t *testing.T, edit func(*Server)) (string, string, *events.Log) {
	t.Helper()
	return serveOn(t, "127.0.0.1:0", edit)
}

// serveOn is serveWith listening on addr.
func serveOn(t *testing.T, addr string, edit func(*Server)) (string, string, *events.Log) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "debian-installer"), 0o755)
	os.WriteFile(filepath.Join(root, "debian-installer", "linux"), bytes.Repeat([]byte("0123456789"), 100_000), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("outside"), 0o644)
	os.Symlink("../secret", filepath.Join(root, "escape"))
	files, err := bootfs.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	log := events.NewLog(events.DefaultLimits)
	s := &Server{Files: files, Events: log}
	if edit != nil {
		edit(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String(), root, log
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// eventsOf returns the events recorded for 127.0.0.1 that keep accepts,
// waiting up to 5 s for at least want of them: the server records a
// request when its handler returns, which may be after the client has
// its answer.
func eventsOf(log *events.Log, want int, keep func(events.Event) bool) []events.Event {
	var got []events.Event
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = got[:0]
		for _, e := range log.Events("ip:127.0.0.1") {
			if keep(e) {
				got = append(got, e)
			}
		}
		if len(got) >= want {
			break
		}
	}
	return got
}

// TestIPv6Client fetches with curl over IPv6: the opener sees both
// addresses as IPv6 and the event is the client's IPv6 address.
func TestIPv6Client(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl not installed: %v", err)
	}
	var mu sync.Mutex
	var reqs []bootfs.Request
	base, root, log := serveOn(t, "[::1]:0", func(s *Server) {
		next := s.Files
		s.Files = bootfs.OpenerFunc(func(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
			mu.Lock()
			reqs = append(reqs, *r)
			mu.Unlock()
			return next.Open(ctx, r)
		})
	})
	if !strings.HasPrefix(base, "http://[::1]:") {
		t.Fatalf("server at %s", base)
	}
	out := filepath.Join(t.TempDir(), "linux")
	// -g: the brackets are the IPv6 literal, not a curl URL glob.
	if b, err := exec.Command(curl, "-sS", "-g", "--max-time", "20", "-o", out, base+"/debian-installer/linux").CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, b)
	}
	want, _ := os.ReadFile(filepath.Join(root, "debian-installer", "linux"))
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	mu.Lock()
	if len(reqs) != 1 || reqs[0].Remote.Addr() != netip.IPv6Loopback() || reqs[0].Local != netip.IPv6Loopback() {
		t.Errorf("opener saw %+v, want one request from and to ::1", reqs)
	}
	mu.Unlock()
	var evs []events.Event
	for deadline := time.Now().Add(5 * time.Second); len(evs) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		evs = log.Events("ip:::1")
	}
	if len(evs) != 1 || evs[0].IP != netip.IPv6Loopback() || evs[0].Bytes != int64(len(want)) {
		t.Errorf("events: %+v", evs)
	}
}

func TestServesFilesWithRange(t *testing.T) {
	base, root, log := serve(t)
	want, _ := os.ReadFile(filepath.Join(root, "debian-installer", "linux"))
	resp, body := get(t, base+"/debian-installer/linux", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.ContentLength != int64(len(want)) {
		t.Fatalf("GET: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	resp, body = get(t, base+"/debian-installer/linux", map[string]string{"Range": "bytes=10-19"})
	if resp.StatusCode != http.StatusPartialContent || string(body) != "0123456789" || resp.Header.Get("Content-Range") != "bytes 10-19/1000000" {
		t.Errorf("Range: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	evs := log.Events("ip:127.0.0.1")
	if len(evs) == 0 || evs[0].Kind != events.FileServed || evs[0].Bytes != int64(len(want)) || evs[0].Proto != "http" {
		t.Errorf("events: %+v", evs)
	}
}

func TestConfinedAndReadOnly(t *testing.T) {
	base, _, log := serve(t)
	for path, want := range map[string]int{
		"/missing":          404,
		"/escape":           403,
		"/../secret":        403, // ".." is refused outright
		"/%2e%2e/secret":    403,
		"/debian-installer": 403, // a directory
	} {
		resp, body := get(t, base+path, nil)
		if resp.StatusCode != want || bytes.Contains(body, []byte("outside")) {
			t.Errorf("GET %s: %d %q, want %d", path, resp.StatusCode, body, want)
		}
	}
	// The timeline says why: as an outcome, and in words.
	reasons := map[string]string{}
	outcomes := map[string]events.Outcome{}
	for _, e := range log.Events("ip:127.0.0.1") {
		if e.Kind == events.FileFailed {
			reasons[e.File], outcomes[e.File] = e.Detail, e.Outcome
		}
	}
	if reasons["missing"] != "not found" || reasons["debian-installer"] != "access denied" {
		t.Errorf("failure details: %q", reasons)
	}
	if outcomes["missing"] != events.OutcomeNotFound || outcomes["debian-installer"] != events.OutcomeDenied || outcomes["escape"] != events.OutcomeDenied {
		t.Errorf("failure outcomes: %v", outcomes)
	}
	resp, err := http.Post(base+"/debian-installer/linux", "text/plain", bytes.NewReader([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// The install callback is the one POST the boot server takes; every other
// POST is refused as before, and GETs of the same path are files.
func TestInstallCallbackRoute(t *testing.T) {
	var got []string
	base, _, _ := serveWith(t, func(s *Server) {
		s.Callback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.PathValue("name")+"?"+r.URL.RawQuery)
			w.WriteHeader(http.StatusNoContent)
		})
	})
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/api/v1/hosts/station-02/installed?token=abc", 204},
		{"POST", "/api/v1/hosts/installed", 405},
		{"POST", "/api/v1/hosts/a/b/installed", 405},
		{"POST", "/debian-installer/linux", 405},
		{"GET", "/api/v1/hosts/station-02/installed", 404},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
	if len(got) != 1 || got[0] != "station-02?token=abc" {
		t.Errorf("callback saw %q", got)
	}
}
