package dhcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestMessageCounts: requests are counted by type and outcome, a BOOTP
// request (no option 53) as "BOOTP", and a type no RFC defines lands in
// "other" rather than adding a counter.
func TestMessageCounts(t *testing.T) {
	t.Parallel()
	var st Stats
	st.countMessage(dhcpv4.MessageTypeDiscover, ResultOffer)
	st.countMessage(dhcpv4.MessageTypeDiscover, ResultOffer)
	st.countMessage(dhcpv4.MessageTypeRequest, ResultProxyAck)
	st.countMessage(dhcpv4.MessageType(200), ResultNoReply)
	st.countMessage(dhcpv4.MessageType(9), ResultNoReply)
	st.countMessage(dhcpv4.MessageTypeNone, ResultNoReply)
	st.countMessage(dhcpv4.MessageTypeNone, ResultBootReply)
	st.countRefused(BOOTPNotReserved)
	st.countRefused(numBOOTPRefusals + 3)
	got := map[string]uint64{}
	st.Messages(func(mt string, r Result, n uint64) { got[mt+"/"+r.String()] = n })
	st.BOOTPRefused(func(reason string, n uint64) { got["refused/"+reason] = n })
	want := map[string]uint64{"DISCOVER/offer": 2, "REQUEST/proxy_ack": 1, "other/no_reply": 2,
		"BOOTP/no_reply": 1, "BOOTP/bootreply": 1, "refused/not_reserved": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
