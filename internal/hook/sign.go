package hook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a hook's POST (docs/discovery.md, "Hooks").
const (
	HeaderEvent     = "X-Pxed-Event"     // the document's event name
	HeaderDelivery  = "X-Pxed-Delivery"  // the document's id
	HeaderTimestamp = "X-Pxed-Timestamp" // Unix seconds when this attempt was signed
	HeaderSignature = "X-Pxed-Signature" // "sha256=" and the HMAC in hex
)

// signaturePrefix names the MAC's hash, so that another can follow.
const signaturePrefix = "sha256="

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock before Verify calls it a replay.
const DefaultTolerance = 5 * time.Minute

// Sign is the signature of body sent at ts: HMAC-SHA256 (RFC 2104) keyed
// by secret over the timestamp in decimal Unix seconds, a ".", and the
// body's bytes. The timestamp is inside the MAC so that a captured request
// cannot be sent again later with a fresh one; each attempt is signed
// anew, with its own time.
func Sign(secret []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no signature")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside the tolerance: a replay, or a clock off")
)

// Verify checks a received hook POST as a receiver written in Go would:
// the headers' timestamp within tolerance of now, and their signature
// the HMAC of it and body under secret (compared in constant time).
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q: %w", HeaderTimestamp, ts, err)
	}
	if !strings.HasPrefix(sig, signaturePrefix) {
		return fmt.Errorf("%s: %w: not %s…", HeaderSignature, ErrBadSignature, signaturePrefix)
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s %s, %s from now: %w", HeaderTimestamp, ts, d.Round(time.Second), ErrStale)
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, t, body))) {
		return ErrBadSignature
	}
	return nil
}
