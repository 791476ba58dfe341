package dhcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestMessageCounts: requests are counted by type and outcome, and a type
// no RFC defines lands in "other" rather than adding a counter.
func TestMessageCounts(t *testing.T) {
	t.Parallel()
	var st Stats
	st.countMessage(dhcpv4.MessageTypeDiscover, ResultOffer)
	st.countMessage(dhcpv4.MessageTypeDiscover, ResultOffer)
	st.countMessage(dhcpv4.MessageTypeRequest, ResultProxyAck)
	st.countMessage(dhcpv4.MessageType(200), ResultNoReply)
	st.countMessage(dhcpv4.MessageTypeNone, ResultNoReply)
	got := map[string]uint64{}
	st.Messages(func(mt string, r Result, n uint64) { got[mt+"/"+r.String()] = n })
	want := map[string]uint64{"DISCOVER/offer": 2, "REQUEST/proxy_ack": 1, "other/no_reply": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
