package events

import "strings"

// Topic is what an event means to another system: the name a hook's
// config subscribes to (hooks[].events) and the "event" of the document
// it is sent (docs/discovery.md, "Hooks"). Most events have none: an OFFER
// or a file served is a step of a boot, not news.
type Topic uint8

const (
	TopicNone Topic = iota
	// TopicDiscovered: a machine without a host entry seen for the first time.
	TopicDiscovered
	// TopicInventory: a discovery boot reported the machine's hardware.
	TopicInventory
	// TopicAdopted: a machine was given a host entry, by a rule or by hand.
	TopicAdopted
	// TopicLease: a DHCPACK, or a BOOTREPLY, gave the machine an address.
	TopicLease
	// TopicBoot: a network boot started: a PXE, HTTP Boot or iPXE client's
	// DHCPDISCOVER, or a BOOTP client's request.
	TopicBoot
	// TopicInstalled: the installed system called back (netboot once).
	TopicInstalled
	// TopicBootFailed: a step of a boot failed (a NAK, a file missing
	// where no loader probes for it, a transfer that died).
	TopicBootFailed
	// TopicAction: an operator acted on the machine (profile, reinstall, wake).
	TopicAction
)

// topics drives String, ParseTopic and Topics: a new topic is its
// constant, one line here and one case in Event.Topic.
var topics = [...]string{
	TopicNone:       "",
	TopicDiscovered: "discovered",
	TopicInventory:  "inventory",
	TopicAdopted:    "adopted",
	TopicLease:      "lease",
	TopicBoot:       "boot",
	TopicInstalled:  "installed",
	TopicBootFailed: "boot_failed",
	TopicAction:     "action",
}

// String is the topic's name as the config and the hook document spell it.
func (t Topic) String() string {
	if int(t) < len(topics) {
		return topics[t]
	}
	return ""
}

// ParseTopic returns the topic named s (as String spells it, any case).
func ParseTopic(s string) (Topic, bool) {
	for t := TopicNone + 1; int(t) < len(topics); t++ {
		if strings.EqualFold(topics[t], s) {
			return t, true
		}
	}
	return TopicNone, false
}

// Topics returns every topic, in the table's order.
func Topics() []Topic {
	ts := make([]Topic, 0, len(topics)-1)
	for t := TopicNone + 1; int(t) < len(topics); t++ {
		ts = append(ts, t)
	}
	return ts
}

// TopicNames lists the topics' names, comma-separated, for messages.
func TopicNames() string {
	return strings.Join(topics[1:], ", ")
}

// Topic is what e means to another system, or TopicNone. It is decided
// from the kind and the typed outcome alone, as StepOf is.
func (e Event) Topic() Topic {
	switch e.Kind {
	case Discovered:
		return TopicDiscovered
	case InventoryReceived:
		return TopicInventory
	case Adopted:
		return TopicAdopted
	case Action:
		return TopicAction
	case Callback:
		return TopicInstalled
	case InstallerLog:
		return TopicNone
	}
	// A boot step: a failure first, whatever the step, except a file a
	// loader's config search may miss (StepOf's StatusMiss).
	if StepOf(e).Status == StatusFail {
		return TopicBootFailed
	}
	switch {
	case e.Kind == DHCPAck || e.Kind == BOOTPReply:
		return TopicLease
	case e.Kind == BOOTPRequest:
		return TopicBoot
	case e.Kind == DHCPDiscover && (e.Client.PXE || e.Client.HTTP || e.Client.IPXE):
		return TopicBoot
	}
	return TopicNone
}
