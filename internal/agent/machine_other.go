//go:build !linux

package agent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
)

// ModulesList: see machine_linux.go.
const ModulesList = "etc/pxed/modules"

// Machine is the discovery boot's System; the discovery boot runs Linux.
type Machine struct{ Dir string }

func (Machine) Prepare(context.Context, Sayer) error { return errors.ErrUnsupported }
func (Machine) Cmdline() (string, error)             { return "", errors.ErrUnsupported }
func (Machine) Up(context.Context, net.HardwareAddr, Sayer) (netip.Prefix, error) {
	return netip.Prefix{}, errors.ErrUnsupported
}
func (Machine) Root() fs.FS       { return os.DirFS("/") }
func (Machine) Halt(Action) error { return errors.ErrUnsupported }

// IsInit reports whether this process is the machine's init (PID 1).
func IsInit() bool { return os.Getpid() == 1 }
