package web

import (
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/pxed/pxed/internal/inflight"
)

// TransferJSON is a file transfer in flight.
type TransferJSON struct {
	ID    uint64 `json:"id"`
	Proto string `json:"proto"` // tftp, http, https
	File  string `json:"file"`
	IP    string `json:"ip"`
	// MAC is the machine that holds IP, when pxed knows it (from its
	// DHCP leases).
	MAC string `json:"mac,omitempty"`
	// Size is what the client was told it will get (TFTP tsize, HTTP
	// Content-Length); -1 when it was told none.
	Size    int64     `json:"size"`
	Sent    int64     `json:"sent"`
	Started time.Time `json:"started"`
}

// TransfersJSON answers GET /api/v1/transfers.
type TransfersJSON struct {
	Transfers []TransferJSON `json:"transfers"`
	// Untracked counts transfers that ran without a progress entry since
	// pxed started, because the registry was full.
	Untracked uint64 `json:"untracked,omitempty"`
}

// Transfers answers GET /api/v1/transfers with the transfers running now,
// the oldest first; mac, if set, names the machine of each client address.
func Transfers(reg *inflight.Registry, mac func(netip.Addr) (net.HardwareAddr, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		JSON(w, http.StatusOK, TransfersView(reg.List(), reg.Untracked(), mac))
	}
}

// TransfersView turns running transfers into their JSON form.
func TransfersView(list []inflight.Transfer, untracked uint64, mac func(netip.Addr) (net.HardwareAddr, bool)) TransfersJSON {
	out := TransfersJSON{Transfers: make([]TransferJSON, 0, len(list)), Untracked: untracked}
	for _, t := range list {
		ip := t.Client.Addr().Unmap().WithZone("")
		j := TransferJSON{ID: t.ID, Proto: t.Proto, File: t.File, IP: ip.String(), Size: t.Size, Sent: t.Sent, Started: t.Started.UTC()}
		if mac != nil {
			if hw, ok := mac(ip); ok {
				j.MAC = hw.String()
			}
		}
		out.Transfers = append(out.Transfers, j)
	}
	return out
}
