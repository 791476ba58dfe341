package web

import "net/http"

// Scope is what this pxed serves and so what its timelines hold, for the
// dashboard and API clients: where DHCP and the boot files are on two
// servers (docs/deploy.md, "DHCP and files on two servers"), a timeline
// holds one half of each boot unless the two share their events through
// PostgreSQL.
type Scope struct {
	// Serves lists the boot services this pxed runs: "dhcp", "tftp", "http".
	Serves []string `json:"serves"`
	// Timeline is ScopeWhole, ScopeShared or ScopeHalf.
	Timeline string `json:"timeline"`
	// Note says it for a person; empty for a pxed that serves everything.
	Note string `json:"note,omitempty"`
}

// What a pxed's timelines hold.
const (
	// ScopeWhole: this pxed serves DHCP and the files; its timelines are whole.
	ScopeWhole = "whole"
	// ScopeShared: it serves one half, and the other half's events reach
	// it through the shared PostgreSQL: its timelines are whole.
	ScopeShared = "shared"
	// ScopeHalf: it serves one half and shares no events: its timelines
	// hold its own half of each boot.
	ScopeHalf = "half"
)

// ScopeOf is the scope of a pxed that runs DHCP (dhcp) and files (files:
// TFTP, and HTTP beside it) as said, and shares its boot events with the
// other half (shared).
func ScopeOf(dhcp, tftp, http, shared bool) Scope {
	var s Scope
	for _, x := range []struct {
		name string
		on   bool
	}{{"dhcp", dhcp}, {"tftp", tftp}, {"http", http}} {
		if x.on {
			s.Serves = append(s.Serves, x.name)
		}
	}
	half := "the DHCP exchanges"
	other := "the boot files, served by the next-server's pxed"
	if !dhcp {
		half, other = "the boot files", "the DHCP exchanges, answered by another DHCP server"
	}
	switch {
	case dhcp == tftp:
		s.Timeline = ScopeWhole
	case shared:
		s.Timeline = ScopeShared
		s.Note = "This pxed serves " + half + "; timelines also show " + other + ", shared through PostgreSQL."
	default:
		s.Timeline = ScopeHalf
		s.Note = "This pxed serves " + half + " only: timelines show its half of each boot, not " + other + "."
		if !dhcp {
			s.Note += " Without a shared PostgreSQL, it files the files under the address that fetched them."
		}
	}
	return s
}

// RegisterScope adds GET /api/v1/scope, which says s.
func RegisterScope(srv *Server, s Scope) {
	srv.HandleFunc("GET /api/v1/scope", Read, func(w http.ResponseWriter, _ *http.Request) { JSON(w, http.StatusOK, s) })
}
