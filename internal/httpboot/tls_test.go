package httpboot

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/tlscert"
)

// serveTLS serves the test root over HTTPS with a certificate pxed makes
// for 127.0.0.1; it returns the base URL, the CA's PEM file and the log.
func serveTLS(t *testing.T) (string, string, *events.Log) {
	t.Helper()
	dir := t.TempDir()
	id, err := tlscert.Ensure(dir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	base, _, log := serveWith(t, func(s *Server) { s.TLS = tlscert.Config(id) })
	return strings.Replace(base, "http://", "https://", 1), filepath.Join(dir, tlscert.CAFile), log
}

// failures returns the TLS failures recorded for 127.0.0.1, once the
// server has seen the connections close.
func failures(t *testing.T, log *events.Log, want int) []events.Event {
	t.Helper()
	return eventsOf(log, want, func(e events.Event) bool { return e.Outcome == events.OutcomeTLS })
}

// curl, trusting pxed's CA, fetches a file over HTTPS and the timeline
// has it as an https transfer; curl without the CA refuses the server,
// and the timeline says it was TLS.
func TestHTTPSWithCurl(t *testing.T) {
	base, ca, log := serveTLS(t)
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--cacert", ca, base+"/debian-installer/linux").CombinedOutput()
	if err != nil || string(out) != "200 1000000" {
		t.Fatalf("curl with the CA: %v: %s", err, out)
	}
	// The server records the transfer when its handler returns, which may
	// be after curl has read the last byte and exited.
	evs := eventsOf(log, 1, func(events.Event) bool { return true })
	if len(evs) != 1 || evs[0].Kind != events.FileServed || evs[0].Proto != "https" || evs[0].Bytes != 1_000_000 {
		t.Errorf("events after the trusted fetch: %+v", evs)
	}

	out, err = exec.Command("curl", "-sS", "-o", "/dev/null", base+"/debian-installer/linux").CombinedOutput()
	if err == nil {
		t.Fatalf("curl without the CA fetched the file: %s", out)
	}
	got := failures(t, log, 1)
	if len(got) != 1 || got[0].Proto != "https" || got[0].Kind != events.FileFailed ||
		!strings.Contains(got[0].Detail, "pxed's certificate") {
		t.Errorf("TLS failure events: %+v", got)
	}
	if st := events.StepOf(got[0]); st.Status != events.StatusFail || st.Reason != got[0].Detail {
		t.Errorf("step: %+v", st)
	}
}

// A client that hangs up without an alert once it has the certificate (as
// EDK2 does when it does not trust it) is recorded too, with the hint to
// enroll the CA; a connection that never says hello is not.
func TestHTTPSSilentHangUp(t *testing.T) {
	base, _, log := serveTLS(t)
	addr := strings.TrimPrefix(base, "https://")

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	plain.Close()

	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, &tls.Config{
		ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		// Hang up before crypto/tls can send its alert.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func([][]byte, [][]*x509.Certificate) error {
			raw.Close()
			return errors.New("not trusted")
		},
	})
	if err := c.Handshake(); err == nil {
		t.Fatal("handshake succeeded")
	}
	got := failures(t, log, 1)
	if len(got) != 1 || !strings.Contains(got[0].Detail, "hung up") || !strings.Contains(got[0].Detail, "enroll pxed's CA") {
		t.Errorf("TLS failure events: %+v", got)
	}
}
