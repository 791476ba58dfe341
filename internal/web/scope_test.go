package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScope(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		dhcp, tftp, http, shared bool
		serves                   []string
		timeline, noteHas        string
	}{
		{"one pxed", true, true, true, false, []string{"dhcp", "tftp", "http"}, ScopeWhole, ""},
		{"DHCP host, shared", true, false, false, true, []string{"dhcp"}, ScopeShared, "also show the boot files"},
		{"DHCP host, alone", true, false, false, false, []string{"dhcp"}, ScopeHalf, "its half of each boot, not the boot files"},
		{"file host, shared", false, true, true, true, []string{"tftp", "http"}, ScopeShared, "also show the DHCP exchanges"},
		{"file host, alone", false, true, false, false, []string{"tftp"}, ScopeHalf, "under the address that fetched them"},
	} {
		s := ScopeOf(tc.dhcp, tc.tftp, tc.http, tc.shared)
		if diff := cmp.Diff(tc.serves, s.Serves); diff != "" || s.Timeline != tc.timeline || !strings.Contains(s.Note, tc.noteHas) || (tc.noteHas == "") != (s.Note == "") {
			t.Errorf("%s: %+v (serves -want +got: %s)", tc.name, s, diff)
		}
	}
	srv := &Server{PublicRead: true}
	RegisterScope(srv, ScopeOf(true, false, false, true))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/scope", nil))
	var got Scope
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Timeline != ScopeShared {
		t.Errorf("GET /api/v1/scope: %d %s", rec.Code, rec.Body)
	}
}
