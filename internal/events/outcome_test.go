package events

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

// The label values are what dashboards and alerts select on: they never
// change, and no Outcome can make a new one.
func TestOutcomeLabelsAreStable(t *testing.T) {
	t.Parallel()
	for o, want := range map[Outcome]string{
		OutcomeOK:       "ok",
		OutcomeNotFound: "not_found",
		OutcomeDenied:   "denied",
		OutcomeTimeout:  "timeout",
		OutcomeRefused:  "refused",
		OutcomeError:    "error",
		Outcome(200):    "error",
	} {
		if got := o.Label(); got != want {
			t.Errorf("%v.Label() = %q, want %q", o, got, want)
		}
	}
	if got := Outcome(200).String(); got != "Outcome(200)" {
		t.Errorf("an outcome outside the set prints as %q", got)
	}
	for o := range Outcome(len(outcomes)) {
		if o.String() == "" || o.Label() == "" {
			t.Errorf("outcome %d has no words or no label", o)
		}
	}
}

// The kinds' names are what the dashboard and `pxed status` show and the
// dashboard's script compares ("file").
func TestKindNames(t *testing.T) {
	t.Parallel()
	want := map[Kind]string{
		DHCPDiscover: "DISCOVER", DHCPOffer: "OFFER", DHCPRequest: "REQUEST", DHCPAck: "ACK", DHCPNak: "NAK",
		DHCPIgnored: "ignored", FileServed: "file", FileFailed: "file failed", ProxyOffer: "proxy OFFER",
		ProxyAck: "proxy ACK", Callback: "callback", BOOTPRequest: "BOOTREQUEST", BOOTPReply: "BOOTREPLY",
		BOOTPRefused: "BOOTP refused", Discovered: "discovered", InventoryReceived: "inventory",
		Adopted: "adopted", Action: "action", InstallerLog: "log", 0: "unknown", 200: "unknown",
	}
	for k, name := range want {
		if got := k.String(); got != name {
			t.Errorf("Kind(%d) = %q, want %q", k, got, name)
		}
	}
	if len(kinds) != int(InstallerLog)+1 {
		t.Errorf("kinds has %d rows for %d kinds", len(kinds), InstallerLog+1)
	}
}

// An event of a failure kind whose emitter named no outcome still counts
// as a failure; an outcome that is named wins.
func TestResult(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		e    Event
		want Outcome
	}{
		{Event{Kind: FileServed}, OutcomeOK},
		{Event{Kind: DHCPAck}, OutcomeOK},
		{Event{Kind: DHCPIgnored, Detail: "not found"}, OutcomeOK},
		{Event{Kind: FileFailed}, OutcomeError},
		{Event{Kind: FileFailed, Outcome: OutcomeNotFound}, OutcomeNotFound},
		{Event{Kind: DHCPNak}, OutcomeRefused},
		{Event{Kind: 200}, OutcomeOK},
		{Event{Kind: 200, Outcome: OutcomeTimeout}, OutcomeTimeout},
	} {
		if got := c.e.Result(); got != c.want {
			t.Errorf("%v with outcome %v: Result %v, want %v", c.e.Kind, c.e.Outcome, got, c.want)
		}
	}
}

func TestFileFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    error
		want   Outcome
		detail string
	}{
		{nil, OutcomeOK, ""},
		{fs.ErrNotExist, OutcomeNotFound, "not found"},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, OutcomeNotFound, "not found"},
		{fmt.Errorf("opening: %w", fs.ErrPermission), OutcomeDenied, "access denied"},
		{errors.New("client went away before the end"), OutcomeError, "client went away before the end"},
	} {
		o, detail := FileFailure(c.err)
		if o != c.want || detail != c.detail {
			t.Errorf("FileFailure(%v) = %v, %q; want %v, %q", c.err, o, detail, c.want, c.detail)
		}
	}
}
