package tftp

import "errors"

// ClientAborted reports whether a transfer ended because the client sent an
// ERROR packet. PXE ROMs do this on purpose: they ask for a file with the
// tsize option only to learn its size, then abort (typically with error 8,
// RFC 2347) and ask again. Such a transfer is a probe, not a failure.
func (t Transfer) ClientAborted() bool {
	var ce *clientError
	return errors.As(t.Err, &ce)
}

// TimedOut reports whether the transfer ended because the client stopped
// acknowledging: every retry went unanswered. Acked says after which block.
func (t Transfer) TimedOut() bool { return errors.Is(t.Err, errTimeout) }
