//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (scripts/deps installs it).
const chromiumPath = "/usr/bin/chromium"

// dashboardURL is pxed's management address by default (web.address),
// reached from inside pxed's namespace.
const dashboardURL = "http://127.0.0.1:9069/"

// Browser is a headless chromium the test started inside a namespace, so
// that it reaches pxed's management address there and nothing else.
type Browser struct {
	ctx context.Context
	// Dialogs counts JavaScript dialogs (alert, confirm) the page opened:
	// a sign of script injected through text from the network.
	Dialogs atomic.Int32
}

// startBrowser launches chromium in ns through a wrapper that enters the
// namespace (ip netns exec execs chromium, so the process chromedp waits
// for is chromium itself; the DevTools pipe on descriptors 3 and 4 passes
// through). The test's cleanup closes it. Every request of the page
// carries the API token, when one is given.
func startBrowser(t *testing.T, ns *Namespace, token string) *Browser {
	t.Helper()
	requireTools(t, chromiumPath)
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "chromium-in-netns")
	script := "#!/bin/sh\nexec ip netns exec " + ns.Name + " " + chromiumPath + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(wrapper),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, // chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // ends chromium and waits for it
	})
	b := &Browser{ctx: ctx}
	// The first call starts chromium; it lives as long as ctx, so this
	// call has no deadline of its own.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting chromium in %s: %v", ns.Name, err)
	}
	// An empty token: the page finds its own (the dashboard asks for it).
	if token != "" {
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Authorization": "Bearer " + strings.TrimSpace(token)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() { // ends with ctx, at cleanup
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.Dialogs.Add(1)
			t.Logf("the dashboard opened a %s dialog: %q", ev.Type, ev.Message)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// navigate loads url.
func (b *Browser) navigate(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *Browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression expr is true.
func (b *Browser) waitJS(t *testing.T, what, expr string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		t.Fatalf("waiting for the dashboard to show %s: %v", what, err)
	}
}

// screenshot saves the whole page as a PNG among the test's artifacts and
// returns its path.
func (b *Browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	path := filepath.Join(artifactsDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	t.Logf("dashboard screenshot: %s", path)
	return path
}
