package events

import (
	"errors"
	"io/fs"
	"strconv"
)

// Outcome is how the step an event records ended: the one thing metrics
// count and the dashboard marks a step by. It is set where the cause is
// known (the server that saw the error); Event.Detail beside it says the
// same for a person and may be reworded freely, since nothing decides on it.
type Outcome uint8

const (
	// OutcomeOK, the zero value, is a step that did what was asked. An
	// event of a failure kind (FileFailed, DHCPNak) left at OutcomeOK
	// takes its kind's outcome instead (see Event.Result).
	OutcomeOK Outcome = iota
	// OutcomeNotFound is a file that does not exist (fs.ErrNotExist).
	// Loaders probe for some on purpose (PXELINUX's and GRUB's config
	// search): StepOf marks those a miss, not a failure.
	OutcomeNotFound
	// OutcomeDenied is a file that exists but may not be read
	// (fs.ErrPermission): outside the root, a directory, unreadable.
	OutcomeDenied
	// OutcomeTimeout is a transfer the client stopped acknowledging.
	OutcomeTimeout
	// OutcomeRefused is a request the server answered with a no (a
	// DHCPNAK), or one the configuration does not answer (a BOOTP client
	// pxed is not to serve).
	OutcomeRefused
	// OutcomeError is any other failure; Detail says which.
	OutcomeError
	// OutcomeTLS is an HTTPS connection whose TLS handshake did not
	// finish: most often firmware that does not trust pxed's certificate,
	// which hangs up without a word (EDK2 sends no alert).
	OutcomeTLS
)

// outcomes drives String and Label: a new outcome is one line here.
var outcomes = [...]struct {
	words string // for a person: "pxelinux.cfg/default not found"
	label string // a metric label value, stable across releases
}{
	OutcomeOK:       {"ok", "ok"},
	OutcomeNotFound: {"not found", "not_found"},
	OutcomeDenied:   {"access denied", "denied"},
	OutcomeTimeout:  {"timed out", "timeout"},
	OutcomeRefused:  {"refused", "refused"},
	OutcomeError:    {"failed", "error"},
	OutcomeTLS:      {"TLS handshake failed", "tls"},
}

// String says the outcome in words: "not found", "access denied".
func (o Outcome) String() string {
	if int(o) < len(outcomes) {
		return outcomes[o].words
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Label is the outcome as a metric label value ("ok", "not_found",
// "denied", "timeout", "refused", "error"): fixed words that dashboards and
// alerts may depend on. An outcome outside the set is "error", so that no
// value can add a series.
func (o Outcome) Label() string {
	if int(o) < len(outcomes) {
		return outcomes[o].label
	}
	return outcomes[OutcomeError].label
}

// Failed reports whether the step went wrong.
func (o Outcome) Failed() bool { return o != OutcomeOK }

// FileFailure is the outcome of a file request that failed with err, and
// its words for a person: a missing or forbidden file by the outcome's
// words, anything else by err's own text. TFTP and HTTP say their failures
// alike through it.
func FileFailure(err error) (Outcome, string) {
	switch {
	case err == nil:
		return OutcomeOK, ""
	case errors.Is(err, fs.ErrNotExist):
		return OutcomeNotFound, OutcomeNotFound.String()
	case errors.Is(err, fs.ErrPermission):
		return OutcomeDenied, OutcomeDenied.String()
	}
	return OutcomeError, err.Error()
}

// OutcomeLabelled is the outcome whose Label is label (events read back
// from another pxed); an unknown label is OutcomeError, as Label has it.
func OutcomeLabelled(label string) Outcome {
	for o := range outcomes {
		if outcomes[o].label == label {
			return Outcome(o)
		}
	}
	return OutcomeError
}
