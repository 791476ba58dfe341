//go:build !linux

package tftp

import "context"

// openBlockingLink: elsewhere than on Linux every transfer socket is read
// through the network poller (a socketLink).
func openBlockingLink(context.Context, inbound, *clientTID, func()) (link, error) {
	return nil, nil
}
