package ddns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// Exchanger sends one update and returns the rcode the server answered;
// an error when no server answered.
type Exchanger interface {
	Exchange(ctx context.Context, m *dns.Msg) (rcode int, err error)
}

// Client sends updates signed with Key (TSIG, RFC 8945) to Servers, the
// first that answers; it checks the signature of the answer too.
type Client struct {
	Servers []string // host:port
	Key     Key
	// Timeout bounds one exchange with one server; 0: 2s.
	Timeout time.Duration
	// Net is "udp" (the default) or "tcp".
	Net string
}

// Exchange implements Exchanger.
func (c *Client) Exchange(ctx context.Context, m *dns.Msg) (int, error) {
	if len(c.Servers) == 0 {
		return 0, errors.New("no DNS server")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	dc := &dns.Client{Net: c.Net, Timeout: timeout, TsigSecret: map[string]string{c.Key.Name: c.Key.Secret}}
	var errs []error
	for _, s := range c.Servers {
		q := m.Copy()
		// A fresh message ID and time per send: RFC 8945 §5.2.3 refuses a
		// time outside the fudge, and servers keep recent IDs.
		q.Id = dns.Id()
		q.SetTsig(c.Key.Name, c.Key.Algorithm, 300, time.Now().Unix())
		r, _, err := dc.ExchangeContext(ctx, q, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
			continue
		}
		if r.IsTsig() == nil && r.Rcode == dns.RcodeSuccess {
			// RFC 8945 §5.3.2: an answer to a signed request comes signed
			// (miekg/dns checked the signature if there is one); an unsigned
			// error may come from a server that could not check ours, but
			// an unsigned success is no proof the update was made.
			errs = append(errs, fmt.Errorf("%s: answer not signed", s))
			continue
		}
		return r.Rcode, nil
	}
	return 0, errors.Join(errs...)
}
