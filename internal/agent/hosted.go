//go:build linux

package agent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
)

// Hosted is the System of an agent run by hand on a running machine
// (`pxed agent` not as PID 1): it mounts, loads and configures nothing,
// reads the machine's own /, and does not halt: Halt says what it would
// do and returns ErrHosted.
type Hosted struct{}

// ErrHosted is Hosted.Halt's answer: the action is left to the operator.
var ErrHosted = errors.New("not PID 1: the machine is left running")

func (Hosted) Prepare(context.Context, Sayer) error { return nil }
func (Hosted) Cmdline() (string, error) {
	b, err := os.ReadFile("/proc/cmdline")
	return string(b), err
}
func (Hosted) Up(context.Context, net.HardwareAddr, Sayer) (netip.Prefix, error) {
	return netip.Prefix{}, nil
}
func (Hosted) Root() fs.FS       { return os.DirFS("/") }
func (Hosted) Halt(Action) error { return ErrHosted }
