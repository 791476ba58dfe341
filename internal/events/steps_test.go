package events

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBootsMarkFailures(t *testing.T) {
	t.Parallel()
	g := NewLog(DefaultLimits)
	labBoot(g, 0)
	// The second boot finds no default config, then an initrd transfer
	// stops mid-way.
	rec := func(s float64, e Event) { e.Time = at(100 + s); g.Record(e) }
	rec(0, Event{MAC: mac, Kind: DHCPDiscover, ClientName: "station"})
	rec(0, Event{MAC: mac, Kind: DHCPOffer, IP: ip})
	rec(1, Event{MAC: mac, Kind: DHCPRequest, IP: ip})
	rec(1, Event{MAC: mac, Kind: DHCPAck, IP: ip})
	rec(2, Event{IP: ip, Kind: FileServed, File: "pxelinux.0", Bytes: 42430})
	rec(3, Event{IP: ip, Kind: FileFailed, File: "pxelinux.cfg/01-00-18-e7-42-84-3a", Outcome: OutcomeNotFound, Detail: "not found"})
	rec(3, Event{IP: ip, Kind: FileFailed, File: "pxelinux.cfg/C0A801", Outcome: OutcomeNotFound, Detail: "not found"})
	rec(3, Event{IP: ip, Kind: FileFailed, File: "pxelinux.cfg/default", Outcome: OutcomeNotFound, Detail: "not found"})
	rec(9, Event{IP: ip, Kind: FileFailed, File: "initrd.gz", Outcome: OutcomeTimeout, Detail: "TFTP timeout after block 812", Retransmits: 5})

	boots := g.Boots(mac.String(), 5)
	if len(boots) != 2 {
		t.Fatalf("%d boots, want 2", len(boots))
	}
	if !boots[0].Start.Equal(at(100)) || !boots[1].Start.Equal(at(0)) {
		t.Errorf("boots start at %v, %v; want newest first", boots[0].Start, boots[1].Start)
	}
	type row struct {
		File   string
		Status Status
		Reason string
	}
	var got []row
	for _, s := range boots[0].Steps {
		if s.Kind == FileFailed || s.Kind == FileServed {
			got = append(got, row{s.File, s.Status, s.Reason})
		}
	}
	want := []row{
		{"pxelinux.0", StatusOK, ""},
		{"pxelinux.cfg/01-00-18-e7-42-84-3a", StatusMiss, "pxelinux.cfg/01-00-18-e7-42-84-3a not found"},
		{"pxelinux.cfg/C0A801", StatusMiss, "pxelinux.cfg/C0A801 not found"},
		{"pxelinux.cfg/default", StatusFail, "pxelinux.cfg/default not found"},
		{"initrd.gz", StatusFail, "initrd.gz: TFTP timeout after block 812"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps of the failed boot (-want +got):\n%s", diff)
	}
	if boots[0].Failure != "initrd.gz: TFTP timeout after block 812" {
		t.Errorf("boot failure %q", boots[0].Failure)
	}
	if boots[1].Failure != "" {
		t.Errorf("the good boot has failure %q (a PXELINUX config search miss is normal)", boots[1].Failure)
	}
	sum, ok := g.Summary(mac.String())
	wantSum := Summary{MAC: mac.String(), Host: "station", IP: ip, IPs: [2]netip.Addr{ip}, LastSeen: at(109), State: "failed",
		Failure: "initrd.gz: TFTP timeout after block 812"}
	if !ok {
		t.Fatal("no summary")
	}
	if diff := cmp.Diff(wantSum, sum, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if n := len(g.Boots(mac.String(), 1)); n != 1 {
		t.Errorf("asked for 1 boot, got %d", n)
	}
}

func TestSummaryFollowsBoot(t *testing.T) {
	t.Parallel()
	g := NewLog(DefaultLimits)
	m := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	a := netip.MustParseAddr("10.0.0.5")
	steps := []struct {
		e    Event
		want string
	}{
		{Event{MAC: m, Kind: DHCPDiscover}, "discovering"},
		{Event{MAC: m, Kind: DHCPOffer, IP: a}, "offered"},
		{Event{MAC: m, Kind: DHCPRequest, IP: a}, "requesting"},
		{Event{MAC: m, Kind: DHCPAck, IP: a, Host: "node-1"}, "leased"},
		{Event{IP: a, Kind: FileServed, File: "pxelinux.0", Bytes: 0}, "leased"}, // a size probe
		{Event{IP: a, Kind: FileServed, File: "pxelinux.0", Bytes: 100}, "loading pxelinux.0"},
		{Event{IP: a, Kind: FileFailed, File: "pxelinux.cfg/01-02-00-00-00-00-01", Outcome: OutcomeNotFound, Detail: "not found"}, "loading pxelinux.0"},
		{Event{IP: a, Kind: FileServed, File: "pxelinux.cfg/default", Bytes: 10}, "config sent"},
		{Event{IP: a, Kind: FileServed, File: "vmlinuz", Bytes: 10}, "kernel sent"},
		{Event{IP: a, Kind: FileServed, File: "initrd.img", Bytes: 10}, "initrd sent"},
		{Event{IP: a, Kind: FileServed, File: "ldlinux.c32", Bytes: 10}, "initrd sent"}, // a module after the initrd
		{Event{MAC: m, Kind: DHCPIgnored, Detail: "INFORM"}, "initrd sent"},
		{Event{MAC: m, Kind: Callback, Detail: "done"}, "install done"},
		{Event{MAC: m, Kind: DHCPDiscover}, "discovering"},
		{Event{MAC: m, Kind: DHCPNak, Detail: "address not available"}, "refused"},
	}
	for i, s := range steps {
		s.e.Time = at(float64(i))
		g.Record(s.e)
		if sum, _ := g.Summary(m.String()); sum.State != s.want {
			t.Errorf("after %v %s: state %q, want %q", s.e.Kind, s.e.File, sum.State, s.want)
		}
	}
	sum, _ := g.Summary(m.String())
	if sum.Host != "node-1" || sum.IP != a || sum.Failure != "DHCPNAK: address not available" {
		t.Errorf("summary %+v", sum)
	}
}

func TestSubscription(t *testing.T) {
	t.Parallel()
	g := NewLog(Limits{SubscriberQueue: 3, Subscribers: 2})
	fast, err := g.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	slow, err := g.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Subscribe(); err != ErrTooManySubscribers {
		t.Errorf("third subscriber: %v, want ErrTooManySubscribers", err)
	}
	m := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Record must not wait for the slow follower, which reads nothing.
		for i := range 10 {
			g.Record(Event{MAC: m, Kind: DHCPDiscover, Time: at(float64(i))})
			if e := <-fast.C; e.Machine != m.String() || !e.Time.Equal(at(float64(i))) {
				t.Errorf("fast follower got %+v", e)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a slow follower")
	}
	n := 0
	for range slow.C { // closed after the 3 it had room for
		n++
	}
	if n != 3 || !slow.Dropped() {
		t.Errorf("slow follower got %d events, dropped %v; want 3 then dropped", n, slow.Dropped())
	}
	if fast.Dropped() {
		t.Error("the fast follower was dropped")
	}
	// A dropped follower's place is free again.
	again, err := g.Subscribe()
	if err != nil {
		t.Fatalf("subscribing after a drop: %v", err)
	}
	again.Close()
	again.Close()
	fast.Close()
	if _, ok := <-fast.C; ok {
		t.Error("C still open after Close")
	}
}

// A step's status comes from its outcome alone: rewording the Detail of a
// failure, or words that look like another outcome's, change no status.
func TestStatusIgnoresWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file    string
		outcome Outcome
		want    Status
	}{
		{"pxelinux.cfg/01-00-18-e7-42-84-3a", OutcomeNotFound, StatusMiss},
		{"boot/grub/grub.cfg-01-00-18-e7-42-84-3a", OutcomeNotFound, StatusMiss},
		{"pxelinux.cfg/default", OutcomeNotFound, StatusFail},
		{"pxelinux.cfg/01-00-18-e7-42-84-3a", OutcomeDenied, StatusFail},
		{"pxelinux.cfg/01-00-18-e7-42-84-3a", OutcomeError, StatusFail},
		{"initrd.gz", OutcomeTimeout, StatusFail},
	} {
		for _, detail := range []string{"", "not found", "no such file", "access denied", "TFTP timeout after block 3", "done"} {
			e := Event{Kind: FileFailed, File: c.file, Outcome: c.outcome, Detail: detail}
			if got := StepOf(e).Status; got != c.want {
				t.Errorf("%s, %v, detail %q: status %q, want %q", c.file, c.outcome, detail, got, c.want)
			}
		}
	}
	for _, detail := range []string{"", "address not available", "ok"} {
		if got := StepOf(Event{Kind: DHCPNak, Detail: detail}).Status; got != StatusFail {
			t.Errorf("NAK with detail %q: status %q", detail, got)
		}
		if got := StepOf(Event{Kind: DHCPIgnored, Detail: detail}).Status; got != StatusOK {
			t.Errorf("ignored packet with detail %q: status %q", detail, got)
		}
	}
}

// The reason of a failed step, as the dashboard and `pxed status` print it.
func TestReasonWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: FileFailed, File: "pxelinux.cfg/default", Outcome: OutcomeNotFound, Detail: "not found"}, "pxelinux.cfg/default not found"},
		{Event{Kind: FileFailed, File: "pxelinux.cfg/default", Outcome: OutcomeNotFound, Detail: "no such file"}, "pxelinux.cfg/default not found"},
		{Event{Kind: FileFailed, File: "x", Outcome: OutcomeDenied, Detail: "access denied"}, "x: access denied"},
		{Event{Kind: FileFailed, File: "initrd.gz", Outcome: OutcomeTimeout, Detail: "TFTP timeout after block 812"}, "initrd.gz: TFTP timeout after block 812"},
		{Event{Kind: FileFailed, File: "x"}, "x failed"},
		{Event{Kind: DHCPNak, Detail: "address not available"}, "DHCPNAK: address not available"},
		{Event{Kind: DHCPNak}, "DHCPNAK"},
		{Event{Kind: FileServed, File: "x", Detail: "not found"}, ""},
	} {
		if got := StepOf(c.e).Reason; got != c.want {
			t.Errorf("%v %s %v %q: reason %q, want %q", c.e.Kind, c.e.File, c.e.Outcome, c.e.Detail, got, c.want)
		}
	}
}

// The files a Secure Boot chain (Debian's shim, then its signed GRUB) asks
// for and a netboot tree lacks are misses, not failures; what the chain
// needs is a failure when missing.
func TestShimAndGRUBProbes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file string
		want Status
	}{
		{"debian-installer/amd64/revocations_sku.efi", StatusMiss},
		{"debian-installer/amd64/revocations_sbat.efi", StatusMiss},
		{"debian-installer/amd64/shim_certificate_0.efi", StatusMiss},
		{"/debian-installer/arm64/shim_certificate_12.efi", StatusMiss},
		{"revocations_sbat.efi", StatusMiss},
		{"/debian-installer/amd64/grub/x86_64-efi/grub.cfg", StatusMiss},
		{"/debian-installer/arm64/grub/arm64-efi/grub.cfg", StatusMiss},
		{"debian-installer/amd64/grubx64.efi", StatusFail},
		{"debian-installer/amd64/mmx64.efi", StatusFail}, // shim refused GRUB: see Verdict
		{"debian-installer/amd64/shim_certificate_.efi", StatusFail},
		{"debian-installer/amd64/shim_certificate_x.efi", StatusFail},
		{"/debian-installer/amd64/grub/grub.cfg", StatusFail},
		{"/debian-installer/amd64/grub/x86_64-efi/command.lst", StatusFail},
	} {
		e := Event{Kind: FileFailed, File: c.file, Outcome: OutcomeNotFound}
		if got := StepOf(e).Status; got != c.want {
			t.Errorf("%s not found: status %q, want %q", c.file, got, c.want)
		}
		e.Outcome = OutcomeTimeout
		if got := StepOf(e).Status; got != StatusFail {
			t.Errorf("%s timed out: status %q, want fail", c.file, got)
		}
	}
}
