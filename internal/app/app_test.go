package app

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/tftp"
)

// A finished TFTP transfer becomes an event whose outcome says how it
// ended, with the words a person reads beside it.
func TestTransferEvent(t *testing.T) {
	t.Parallel()
	remote := netip.MustParseAddrPort("[::ffff:192.168.1.101]:2070")
	for _, c := range []struct {
		name    string
		err     error
		kind    events.Kind
		outcome events.Outcome
		detail  string
	}{
		{"whole", nil, events.FileServed, events.OutcomeOK, ""},
		{"missing", &fs.PathError{Op: "open", Path: "pxelinux.cfg/default", Err: fs.ErrNotExist}, events.FileFailed, events.OutcomeNotFound, "not found"},
		{"outside the root", fmt.Errorf("opening: %w", fs.ErrPermission), events.FileFailed, events.OutcomeDenied, "access denied"},
		{"other", errors.New("read /srv/tftp/x: input/output error"), events.FileFailed, events.OutcomeError, "read /srv/tftp/x: input/output error"},
	} {
		e := transferEvent("tftp", tftp.Transfer{Remote: remote, Path: "x", Size: 10, Bytes: 5, Duration: time.Second, Err: c.err})
		if e.Kind != c.kind || e.Outcome != c.outcome || e.Detail != c.detail {
			t.Errorf("%s: %v, %v, %q; want %v, %v, %q", c.name, e.Kind, e.Outcome, e.Detail, c.kind, c.outcome, c.detail)
		}
		if e.IP != netip.MustParseAddr("192.168.1.101") || e.Proto != "tftp" || e.File != "x" || e.Bytes != 5 || e.Dur != time.Second {
			t.Errorf("%s: event %+v", c.name, e)
		}
	}
}

// A timeout says after which block the client stopped acknowledging; its
// outcome is a timeout whatever the words.
func TestTransferFailureTimeout(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		acked  int64
		detail string
	}{
		{0, "TFTP timeout: the client acknowledged no block"},
		{812, "TFTP timeout after block 812"},
	} {
		o, detail := transferFailure(errors.New("timed out waiting for an acknowledgement"), true, c.acked)
		if o != events.OutcomeTimeout || detail != c.detail {
			t.Errorf("acked %d: %v, %q; want timeout, %q", c.acked, o, detail, c.detail)
		}
	}
}
