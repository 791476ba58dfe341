package httpboot

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pxed/pxed/internal/events"
)

// helloConn marks a connection whose client sent a TLS ClientHello: only
// such a connection's unfinished handshake says something about TLS (a
// port scan or a plain-HTTP client says nothing).
type helloConn struct {
	net.Conn
	hello atomic.Bool
}

type helloListener struct{ net.Listener }

func (l helloListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &helloConn{Conn: c}, nil
}

// tlsListener wraps ln in TLS with s.TLS, noting each ClientHello.
func (s *Server) tlsListener(ln net.Listener) net.Listener {
	cfg := s.TLS.Clone()
	inner := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		if hc, ok := hi.Conn.(*helloConn); ok {
			hc.hello.Store(true)
		}
		if inner != nil {
			return inner(hi)
		}
		return nil, nil
	}
	return tls.NewListener(helloListener{ln}, cfg)
}

// watchHandshake records, when a connection closes, a TLS handshake that
// its client began and never finished.
func (s *Server) watchHandshake(c net.Conn, st http.ConnState) {
	if st != http.StateClosed {
		return
	}
	tc, ok := c.(*tls.Conn)
	if !ok || tc.ConnectionState().HandshakeComplete {
		return
	}
	hc, ok := tc.NetConn().(*helloConn)
	if !ok || !hc.hello.Load() {
		return
	}
	// The handshake has failed by now: Handshake returns its error again.
	detail := handshakeDetail(tc.Handshake())
	remote, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	s.logger().Info("https handshake failed", "ip", remote.Addr().String(), "error", detail)
	if s.Events != nil {
		s.Events.Record(events.Event{Time: time.Now(), IP: remote.Addr().Unmap(), Proto: "https",
			Kind: events.FileFailed, Outcome: events.OutcomeTLS, Detail: detail})
	}
}

// handshakeDetail says for a person why a handshake failed. A client that
// hangs up once it has pxed's certificate is the usual case of firmware
// that does not trust it: EDK2 closes the connection without an alert.
func handshakeDetail(err error) string {
	// crypto/tls reports an alert from the peer as a net.OpError of Op
	// "remote error" (conn.go, readRecordOrCCS).
	var op *net.OpError
	switch {
	case err == nil:
		return "TLS handshake not finished"
	case errors.As(err, &op) && op.Op == "remote error":
		return "TLS handshake failed: the client refused pxed's certificate (" + err.Error() + ")"
	}
	return "TLS handshake failed: the client hung up during the handshake (" + err.Error() + "); it may not trust pxed's certificate: enroll pxed's CA in its firmware"
}
