package web

import (
	"context"
	"net/http"
	"time"

	"github.com/pxed/pxed/internal/lease"
)

// LeaseJSON is a lease as the API and `pxed leases --json` show it, of
// either family. State is bound, released or declined, or expired for a
// bound lease past its end. A DHCPv6 lease is held by an IA of a client
// (RFC 8415 §12): DUID and IAID name it, and MAC is set only when pxed
// learnt the client's hardware address (from a DUID-LL or DUID-LLT, the
// relay's option 79, or the link-local source address).
type LeaseJSON struct {
	IP       string    `json:"ip"`
	Family   string    `json:"family"`              // ipv4 or ipv6
	MAC      string    `json:"mac"`                 // empty when not known
	ClientID string    `json:"client_id,omitempty"` // DHCPv4 option 61, hex
	DUID     string    `json:"duid,omitempty"`      // DHCPv6 client DUID, hex
	IAID     *uint32   `json:"iaid,omitempty"`      // with DUID
	Hostname string    `json:"hostname,omitempty"`
	State    string    `json:"state"`
	Expires  time.Time `json:"expires"`
	// Infinite marks a lease that never ends on its own (a BOOTP
	// client's); Expires is then lease.Forever.
	Infinite bool `json:"infinite,omitempty"`
	Active   bool `json:"active"`
}

// Leases answers GET /api/v1/leases with every recorded lease, ordered by
// address, from all(ctx) (a lease.Store's All).
func Leases(all func(context.Context) ([]lease.Lease, error), now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ls, err := all(r.Context())
		if err != nil {
			Error(w, http.StatusInternalServerError, "reading leases: "+err.Error())
			return
		}
		JSON(w, http.StatusOK, LeaseViews(ls, now()))
	}
}

// LeaseViews turns leases into their JSON form as of now.
func LeaseViews(ls []lease.Lease, now time.Time) []LeaseJSON {
	out := make([]LeaseJSON, 0, len(ls))
	for _, l := range ls {
		j := LeaseJSON{
			IP: l.IP.String(), Family: "ipv4", MAC: l.MAC.String(),
			Hostname: l.Hostname, State: l.State.String(), Expires: l.Expires.UTC(), Active: l.Active(now),
			Infinite: l.Infinite(),
		}
		if l.IP.Is6() {
			j.Family = "ipv6"
		}
		if duid, iaid, ok := l.Client().V6ID(); ok {
			j.DUID, j.IAID = hexOrEmpty(duid), &iaid
		} else {
			j.ClientID = hexOrEmpty(l.ClientID)
		}
		if l.State == lease.Bound && !now.Before(l.Expires) {
			j.State = "expired"
		}
		out = append(out, j)
	}
	return out
}

func hexOrEmpty(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
