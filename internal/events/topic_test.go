package events

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/pxe"
)

func TestEventTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    Event
		want Topic
	}{
		{"discovered", Event{Kind: Discovered}, TopicDiscovered},
		{"inventory", Event{Kind: InventoryReceived}, TopicInventory},
		{"adopted", Event{Kind: Adopted, By: "dashboard 192.0.2.7"}, TopicAdopted},
		{"action", Event{Kind: Action}, TopicAction},
		{"install callback", Event{Kind: Callback, Proto: "http"}, TopicInstalled},
		{"installer log line", Event{Kind: InstallerLog}, TopicNone},
		{"ack", Event{Kind: DHCPAck, Proto: "dhcp"}, TopicLease},
		{"bootreply", Event{Kind: BOOTPReply, Proto: "bootp"}, TopicLease},
		{"proxy ack gives no address", Event{Kind: ProxyAck}, TopicNone},
		{"pxe discover", Event{Kind: DHCPDiscover, Client: pxe.Client{PXE: true}}, TopicBoot},
		{"http boot discover", Event{Kind: DHCPDiscover, Client: pxe.Client{HTTP: true}}, TopicBoot},
		{"ipxe discover", Event{Kind: DHCPDiscover, Client: pxe.Client{IPXE: true}}, TopicBoot},
		{"discover of an OS", Event{Kind: DHCPDiscover}, TopicNone},
		{"bootp request", Event{Kind: BOOTPRequest}, TopicBoot},
		{"offer", Event{Kind: DHCPOffer}, TopicNone},
		{"nak", Event{Kind: DHCPNak}, TopicBootFailed},
		{"bootp refused", Event{Kind: BOOTPRefused}, TopicBootFailed},
		{"file served", Event{Kind: FileServed, File: "vmlinuz"}, TopicNone},
		{"kernel missing", Event{Kind: FileFailed, File: "vmlinuz", Outcome: OutcomeNotFound}, TopicBootFailed},
		{"transfer timed out", Event{Kind: FileFailed, File: "initrd.gz", Outcome: OutcomeTimeout}, TopicBootFailed},
		{"pxelinux config search", Event{Kind: FileFailed, File: "pxelinux.cfg/01-52-54-00-12-34-56", Outcome: OutcomeNotFound}, TopicNone},
		{"tls refused", Event{Kind: FileFailed, Outcome: OutcomeTLS}, TopicBootFailed},
	}
	for _, tt := range tests {
		if got := tt.e.Topic(); got != tt.want {
			t.Errorf("%s: Topic() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseTopic(t *testing.T) {
	t.Parallel()
	var names []string
	for _, tp := range Topics() {
		got, ok := ParseTopic(tp.String())
		if !ok || got != tp {
			t.Errorf("ParseTopic(%q) = %v, %v; want %v", tp.String(), got, ok, tp)
		}
		names = append(names, tp.String())
	}
	want := []string{"discovered", "inventory", "adopted", "lease", "boot", "installed", "boot_failed", "action"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("topic names (-want +got):\n%s", d)
	}
	for _, bad := range []string{"", "ack", "boot-failed", "discover"} {
		if _, ok := ParseTopic(bad); ok {
			t.Errorf("ParseTopic(%q) accepted a name no topic has", bad)
		}
	}
	if got, ok := ParseTopic("Boot_Failed"); !ok || got != TopicBootFailed {
		t.Errorf("ParseTopic(Boot_Failed) = %v, %v; want boot_failed", got, ok)
	}
}
