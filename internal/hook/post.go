package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// poster POSTs documents to one URL.
type poster struct {
	url     string
	secret  []byte
	timeout time.Duration
	retry   Retry
	client  *http.Client
	now     func() time.Time
	sink    *sink
}

// deliver sends d until the receiver takes it, refuses it for good, or
// the attempts are used up; between attempts it waits as p.retry says.
func (p *poster) deliver(ctx context.Context, d *delivery) Result {
	log := p.sink.log.With("event", d.doc.Event, "mac", d.doc.MAC, "id", d.doc.ID)
	for n := 1; ; n++ {
		again, err := p.attempt(ctx, d)
		if err == nil {
			log.Debug("hook delivered", "attempt", n)
			return Delivered
		}
		if ctx.Err() != nil {
			return Dropped
		}
		timedOut := errors.Is(err, context.DeadlineExceeded)
		if !again || n >= p.retry.Attempts {
			log.Warn("hook not delivered", "attempts", n, "err", err)
			if timedOut {
				return TimedOut
			}
			return Failed
		}
		w := p.retry.Wait(n)
		log.Info("hook delivery failed, trying again", "attempt", n, "wait", w, "err", err)
		p.sink.retries.Add(1)
		t := time.NewTimer(w)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Dropped
		}
	}
}

// attempt POSTs d once. again says whether a failure may pass: no
// connection or no answer in time, 408, 429 or a 5xx (RFC 9110 §15.5.9,
// RFC 6585 §4, RFC 9110 §15.6); any other status is the receiver's no.
func (p *poster) attempt(ctx context.Context, d *delivery) (again bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(d.body))
	if err != nil {
		return false, fmt.Errorf("making the request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "pxed-hook/"+strconv.Itoa(Version))
	h.Set(HeaderEvent, d.doc.Event)
	h.Set(HeaderDelivery, d.doc.ID)
	ts := p.now()
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	if len(p.secret) > 0 {
		h.Set(HeaderSignature, Sign(p.secret, ts, d.body))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return true, err
	}
	// Read a little of the answer so the connection can be used again;
	// a receiver has nothing to say beyond its status.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return true, fmt.Errorf("receiver answered %s", resp.Status)
	default:
		return false, fmt.Errorf("receiver refused: %s", resp.Status)
	}
}
