//go:build !linux

package httpboot

import (
	"errors"
	"net"
	"time"
)

// Setting a connection's send MSS after the handshake needs Linux's TCP
// repair mode; elsewhere the kernel's choice stands.

func segmentSizes(net.Conn) (sent, adv uint32, err error) { return 0, 0, errors.ErrUnsupported }

func setSegment(net.Conn, uint32) error { return errors.ErrUnsupported }

func canSetSegment() bool { return false }

func drained(net.Conn, time.Duration) error { return errors.ErrUnsupported }
