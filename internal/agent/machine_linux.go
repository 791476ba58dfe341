package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ModulesList is where the initramfs lists the kernel modules it carries,
// one path (from /) a line, each after the modules it depends on: the
// order in which Machine loads them. pxed's initramfs builder writes it.
const ModulesList = "etc/pxed/modules"

// Machine is the System of the discovery boot, where the agent is PID 1
// in an initramfs that holds nothing but itself and kernel modules.
//
// Links, addresses and routes go through github.com/vishvananda/netlink,
// the rtnetlink library of the Go field (u-root's dhclient, CNI plugins):
// typed links and routes instead of rtnetlink messages built by hand. The
// DHCP exchange is insomniacslk/dhcp's nclient4 (the codec pxed's server
// uses), over a packet socket, as a client without an address must.
type Machine struct {
	// Dir is the directory holding the initramfs ("/" when empty).
	Dir string
}

func (m Machine) root() string {
	if m.Dir == "" {
		return "/"
	}
	return m.Dir
}

// mount is one file system PID 1 mounts before anything else reads /proc
// or /sys.
type mount struct {
	source, target, fstype string
	optional               bool // absent on some machines (efivarfs on BIOS)
}

// Prepare mounts proc, sysfs and devtmpfs, loads the initramfs's modules
// in order, then mounts efivarfs (itself a module in Debian's kernel) when
// the machine booted by UEFI.
func (m Machine) Prepare(ctx context.Context, say Sayer) error {
	var errs []error
	for _, mt := range []mount{
		{"proc", "proc", "proc", false},
		{"sysfs", "sys", "sysfs", false},
		{"devtmpfs", "dev", "devtmpfs", false},
		{"tmpfs", "run", "tmpfs", false},
	} {
		if err := m.mount(mt); err != nil {
			errs = append(errs, err)
		}
	}
	loaded, failed := m.loadModules(ctx, say)
	say("loaded %d kernel modules (%d failed)", loaded, failed)
	if _, err := os.Stat(filepath.Join(m.root(), efiDir)); err == nil {
		if err := m.mount(mount{"efivarfs", efiVars, "efivarfs", true}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m Machine) mount(mt mount) error {
	target := filepath.Join(m.root(), mt.target)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("mounting %s: %w", mt.fstype, err)
	}
	err := unix.Mount(mt.source, target, mt.fstype, unix.MS_NOSUID|unix.MS_NOEXEC, "")
	if err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("mounting %s on %s: %w", mt.fstype, target, err)
	}
	return nil
}

// loadModules loads each module of ModulesList with finit_module(2). A
// module that is already there (EEXIST) or whose hardware is absent
// (ENODEV, the probe of a driver module never fails so, but some modules
// check the CPU) is not a failure worth more than a line.
func (m Machine) loadModules(ctx context.Context, say Sayer) (loaded, failed int) {
	b, err := os.ReadFile(filepath.Join(m.root(), ModulesList))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			say("reading the module list: %v", err)
		}
		return 0, 0
	}
	for _, p := range lines(b) {
		if ctx.Err() != nil {
			return
		}
		err := m.loadModule(filepath.Join(m.root(), p))
		switch {
		case err == nil, errors.Is(err, unix.EEXIST):
			loaded++
		case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENOENT):
			// Hardware it needs is absent.
		default:
			failed++
			say("loading %s: %v", filepath.Base(p), err)
		}
	}
	return loaded, failed
}

func (m Machine) loadModule(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.FinitModule(int(f.Fd()), "", 0)
}

func (Machine) Cmdline() (string, error) {
	b, err := os.ReadFile("/proc/cmdline")
	return string(b), err
}

func (m Machine) Root() fs.FS { return os.DirFS(m.root()) }

// Up waits for the NIC with the MAC to appear (its driver probes it
// asynchronously after the module loaded), sets it up, and takes an
// address by DHCP (RFC 2131): the lease's address and mask on the link,
// and a default route through its first router (option 3).
func (Machine) Up(ctx context.Context, mac net.HardwareAddr, say Sayer) (netip.Prefix, error) {
	var link netlink.Link
	for waited := false; ; waited = true {
		links, err := netlink.LinkList()
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("listing links: %w", err)
		}
		for _, l := range links {
			if l.Attrs().HardwareAddr.String() == mac.String() {
				link = l
			}
		}
		if link != nil {
			break
		}
		if !waited {
			say("waiting for the NIC %s", mac)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return netip.Prefix{}, fmt.Errorf("no NIC with MAC %s appeared: %w", mac, err)
		}
	}
	name := link.Attrs().Name
	if err := netlink.LinkSetUp(link); err != nil {
		return netip.Prefix{}, fmt.Errorf("setting %s up: %w", name, err)
	}
	say("NIC %s is %s; asking for an address by DHCP", mac, name)
	// The DHCP transaction ID comes from crypto/rand, that is
	// getrandom(2), which blocks until the kernel's random pool is
	// initialized: at once with a CPU or virtio RNG, perhaps minutes
	// without one. Say so rather than hang without a word.
	if _, err := unix.Getrandom(make([]byte, 1), unix.GRND_NONBLOCK); errors.Is(err, unix.EAGAIN) {
		say("waiting for the kernel's random pool (no hardware RNG?)")
	}
	c, err := nclient4.New(name, nclient4.WithTimeout(4*time.Second), nclient4.WithRetry(4))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("DHCP on %s: %w", name, err)
	}
	defer c.Close()
	lease, err := c.Request(ctx)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("DHCP on %s: %w", name, err)
	}
	ack := lease.ACK
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ack.YourIPAddr.DefaultMask()
	}
	ipnet := &net.IPNet{IP: ack.YourIPAddr, Mask: mask}
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: ipnet}); err != nil {
		return netip.Prefix{}, fmt.Errorf("setting address %s on %s: %w", ipnet, name, err)
	}
	if gw := ack.Router(); len(gw) > 0 {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw[0]}
		if err := netlink.RouteReplace(r); err != nil {
			say("default route through %s: %v", gw[0], err)
		}
	}
	addr, _ := netip.AddrFromSlice(ack.YourIPAddr.To4())
	ones, _ := mask.Size()
	return netip.PrefixFrom(addr, ones), nil
}

// Halt syncs the file systems (none is written here, but a disk a later
// version mounts would be) and reboots or powers off with reboot(2).
func (Machine) Halt(a Action) error {
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_RESTART
	if a == Poweroff {
		cmd = unix.LINUX_REBOOT_CMD_POWER_OFF
	}
	return unix.Reboot(cmd)
}

// IsInit reports whether this process is the machine's init (PID 1).
func IsInit() bool { return os.Getpid() == 1 }

// lines are the non-empty lines of a list, without comments.
func lines(b []byte) []string {
	var out []string
	for l := range strings.Lines(string(b)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
