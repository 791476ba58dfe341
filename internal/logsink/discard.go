package logsink

import "log/slog"

// discard is the logger of a component that was given none.
var discard = slog.New(slog.DiscardHandler)

// Or returns log, or a logger that drops every line when log is nil, so
// that a server's Logger field may be left unset (tests, library use).
func Or(log *slog.Logger) *slog.Logger {
	if log == nil {
		return discard
	}
	return log
}
