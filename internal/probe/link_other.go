//go:build !linux

package probe

import (
	"errors"
	"fmt"
)

// OpenARP needs Linux's packet sockets.
func OpenARP(name string) (Link, error) {
	return nil, fmt.Errorf("probe: ARP on %s: %w", name, errors.ErrUnsupported)
}

// OpenICMP is Linux's only, as pxed's serving is.
func OpenICMP() (Link, error) {
	return nil, fmt.Errorf("probe: ICMP: %w", errors.ErrUnsupported)
}
