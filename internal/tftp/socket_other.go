//go:build !linux

package tftp

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// openBlockingLink: elsewhere than on Linux every transfer socket is read
// through the network poller.
func openBlockingLink(context.Context, inbound, *slog.Logger, *atomic.Bool, func()) (link, error) {
	return nil, nil
}
