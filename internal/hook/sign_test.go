package hook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestSignKnownAnswer pins the signature's construction, so that a
// receiver written from docs/discovery.md computes the same: HMAC-SHA256
// over "<unix seconds>.<body>". The expected value is from
// `printf '1796565600.{"version":1}' | openssl dgst -sha256 -hmac s3cret`.
func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	got := Sign([]byte("s3cret"), time.Unix(1796565600, 0), []byte(`{"version":1}`))
	const want = "sha256=40a4037f04cef048806263aa132067cdd662d71cdaff4b011a4fa613e9825ca9"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, body := []byte("s3cret"), []byte(`{"version":1,"event":"lease"}`)
	now := time.Unix(1796565600, 0)
	headers := func(ts time.Time, sig string) http.Header {
		h := http.Header{}
		h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		return h
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"good", headers(now, Sign(secret, now, body)), body, nil},
		{"signed 4 minutes ago", headers(now.Add(-4*time.Minute), Sign(secret, now.Add(-4*time.Minute), body)), body, nil},
		{"replayed an hour later", headers(now.Add(-time.Hour), Sign(secret, now.Add(-time.Hour), body)), body, ErrStale},
		{"from the future", headers(now.Add(10*time.Minute), Sign(secret, now.Add(10*time.Minute), body)), body, ErrStale},
		{"body changed", headers(now, Sign(secret, now, body)), []byte(`{"version":1,"event":"boot"}`), ErrBadSignature},
		{"timestamp changed", headers(now.Add(time.Second), Sign(secret, now, body)), body, ErrBadSignature},
		{"other secret", headers(now, Sign([]byte("other"), now, body)), body, ErrBadSignature},
		{"no signature", headers(now, ""), body, ErrNoSignature},
		{"other hash", headers(now, "sha1=00"), body, ErrBadSignature},
	}
	for _, tt := range tests {
		if err := Verify(secret, tt.h, tt.body, now, DefaultTolerance); !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// FuzzVerify: headers from anywhere never panic Verify, and only the
// right signature passes.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1796565600, 0)
	f.Add("1796565600", Sign([]byte("k"), now, []byte("{}")), []byte("{}"))
	f.Add("-9223372036854775808", "sha256=", []byte(""))
	f.Add("1796565600", "sha256=zz", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify([]byte("k"), h, body, now, DefaultTolerance)
		if err == nil && sig != Sign([]byte("k"), now.Add(time.Duration(mustSeconds(t, ts)-now.Unix())*time.Second), body) {
			t.Errorf("Verify accepted %q %q", ts, sig)
		}
	})
}

func mustSeconds(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("Verify accepted timestamp %q: %v", s, err)
	}
	return n
}
