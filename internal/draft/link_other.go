//go:build !linux

package draft

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Link is what the kernel says of one interface.
type Link struct {
	Interface  string
	Addr       netip.Prefix
	Gateway    netip.Addr
	Neighbours []netip.Addr
}

var errLinux = errors.New("pxed init reads the link through Linux's netlink: it runs on Linux only")

// Probe needs Linux.
func Probe(string) (Link, error) { return Link{}, errLinux }

// Listen needs Linux.
func Listen(context.Context, string, time.Duration) (*Offer, error) { return nil, errLinux }
