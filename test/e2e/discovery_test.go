//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/web"
)

// discoveryConfig turns the reference network's discovery boot on for
// every machine without a host entry, with the diskless root's Debian
// kernel and its module tree, and one rule: a machine whose SMBIOS serial
// starts PXED- and that has 1 GiB or more becomes node-<serial>, booting
// the installer profile.
func discoveryConfig(kernel, modules string) func(string) string {
	return func(y string) string {
		// The installer sends its log to pxed (log_host), and pxed
		// receives syslog. Its syslogd forwards once the installer has
		// configured the network: the language and keyboard given here
		// let it get there without a question.
		y = strings.Replace(y, "priority=critical ---", "log_host={{.LogHost}} log_port={{.LogPort}} locale=en_US.UTF-8 keymap=us netcfg/choose_interface=auto priority=critical ---", 1)
		return y + fmt.Sprintf(`
syslog:
  listen: ":`+syslogPort+`"
discovery:
  boot: all
  kernel: %s
  modules: %s
  rules:
    - name: lab-by-serial
      match:
        serial: "PXED-*"
        memory: ">=1GiB"
      assign:
        hostname: "node-{{.Serial}}"
        profile: debian-installer
`, kernel, modules)
	}
}

// apiFetch GETs path from pxed's API inside ns with the API token.
func apiFetch(t *testing.T, ns *Namespace, px *Pxed, path string) ([]byte, error) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(px.dataDir, "api-token"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, err := ns.command(ctx, "curl", "-fsS", "-H", "Authorization: Bearer "+strings.TrimSpace(string(tok)), "http://127.0.0.1:9069"+path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("GET %s: %v: %s", path, err, ee.Stderr)
		}
		return nil, fmt.Errorf("GET %s: %v", path, err)
	}
	return out, nil
}

// TestDiscovery: an unknown machine (1536 MiB, two disks of 8 and 16 GiB,
// two NICs, a set SMBIOS serial) network-boots the discovery boot pxed
// serves by itself; its agent reports its hardware, and the API then holds
// an inventory that matches QEMU's arguments. A rule matching the serial
// adopts it as node-<serial> with the installer profile; the agent is told
// to reboot, and the machine boots the installer by itself. On SeaBIOS +
// iPXE and on OVMF's UEFI PXE client.
func TestDiscovery(t *testing.T) {
	requireTools(t, "curl", "qemu-system-x86_64")
	dir := disklessRoot(t)
	mods, _ := filepath.Glob(filepath.Join(dir, "root/usr/lib/modules/*"))
	if len(mods) != 1 {
		t.Fatalf("module trees in the diskless root: %v, want one", mods)
	}
	ns, taps := newBridgeLab(t, 2) // the two machines boot at once
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: discoveryConfig(filepath.Join(dir, "vmlinuz"), mods[0])})

	for i, tc := range []struct {
		fw     Firmware
		mac    string
		serial string
		mode   string
		uuid   string
	}{
		{biosIPXE, "52:54:00:d1:5c:01", "PXED-E2E-BIOS", "bios", "5a3e0001-0000-4000-8000-00000000d15c"},
		{uefiPXE, "52:54:00:d1:5c:02", "PXED-E2E-UEFI", "uefi", "5a3e0002-0000-4000-8000-00000000d15c"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			disks := t.TempDir()
			var extra []string
			for i, size := range []int64{8 << 30, 16 << 30} {
				img := filepath.Join(disks, fmt.Sprintf("disk%d.raw", i))
				if err := os.WriteFile(img, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(img, size); err != nil { // sparse
					t.Fatal(err)
				}
				extra = append(extra, "-drive", fmt.Sprintf("file=%s,if=none,id=d%d,format=raw", img, i),
					"-device", fmt.Sprintf("virtio-blk-pci,drive=d%d,serial=DISK%d", i, i))
			}
			// QEMU's default CPU under TCG has no RDRAND: without an RNG
			// device the agent's kernel takes minutes to seed its pool.
			extra = append(extra, "-device", "virtio-rng-pci")
			// The second NIC is on a hub of its own: no link to anything.
			second := "52:54:00:d1:5d:0" + tc.mac[len(tc.mac)-1:]
			extra = append(extra, "-netdev", "hubport,id=n1,hubid=9", "-device", "virtio-net-pci,netdev=n1,mac="+second+",romfile=",
				"-smbios", "type=1,manufacturer=pxed-lab,product=discovery-e2e,serial="+tc.serial, "-uuid", tc.uuid)
			st := Station{Name: "unknown-" + tc.mode, MAC: tc.mac}
			g := bootGuestOpts(t, ns, taps[i], st, tc.fw, guestOptions{Extra: extra, MemoryMiB: 1536, Reboot: true})

			// 1. The discovery boot reports, and the rule adopts.
			var m catalog.Machine
			ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
			err := waitFor(ctx, time.Second, func() (bool, error) {
				b, err := apiFetch(t, ns, px, "/api/v1/inventory/"+tc.mac)
				if err != nil {
					return false, nil // not discovered yet
				}
				m = catalog.Machine{}
				if err := json.Unmarshal(b, &m); err != nil {
					return false, err
				}
				return m.Inventory != nil, nil // a record, but no report yet
			})
			cancel()
			if err != nil {
				t.Fatalf("no inventory from %s: %v", tc.mac, err)
			}
			took := time.Since(g.started).Round(100 * time.Millisecond)
			t.Logf("%s: power-on to inventory in %v: %+v", tc.mode, took, *m.Inventory)
			inv := m.Inventory
			if inv.DMI.Serial != tc.serial || inv.DMI.Vendor != "pxed-lab" || inv.DMI.Product != "discovery-e2e" || inv.DMI.UUID != tc.uuid {
				t.Errorf("DMI = %+v, want serial %s, UUID %s from pxed-lab discovery-e2e", inv.DMI, tc.serial, tc.uuid)
			}
			if inv.Firmware.Mode != tc.mode || inv.Firmware.SecureBoot {
				t.Errorf("firmware = %+v, want %s without Secure Boot", inv.Firmware, tc.mode)
			}
			if inv.MemoryBytes != 1536<<20 {
				t.Errorf("memory = %d bytes, want 1536 MiB (%d)", inv.MemoryBytes, 1536<<20)
			}
			var sizes []uint64
			for _, d := range inv.Disks {
				sizes = append(sizes, d.SizeBytes)
			}
			if len(sizes) != 2 || sizes[0]+sizes[1] != 24<<30 || (sizes[0] != 8<<30 && sizes[0] != 16<<30) {
				t.Errorf("disks = %+v, want 8 GiB and 16 GiB", inv.Disks)
			}
			nics := map[string]bool{}
			for _, n := range inv.NICs {
				nics[n.MAC] = n.Booted
			}
			if len(nics) != 2 || !nics[tc.mac] || nics[second] {
				t.Errorf("NICs = %+v, want %s (booted) and %s", inv.NICs, tc.mac, second)
			}
			if inv.CPU.Threads < 1 {
				t.Errorf("CPU = %+v", inv.CPU)
			}
			name := "node-" + strings.ToLower(tc.serial)
			if m.Rule != "lab-by-serial" || m.Host != name {
				t.Errorf("machine record: rule %q host %q, want lab-by-serial adopting it as %s", m.Rule, m.Host, name)
			}
			b, err := apiFetch(t, ns, px, "/api/v1/hosts/"+name)
			if err != nil {
				t.Fatal(err)
			}
			var h catalog.Host
			if err := json.Unmarshal(b, &h); err != nil {
				t.Fatal(err)
			}
			if h.MAC.String() != tc.mac || h.Rule != "lab-by-serial" || h.Boot == nil || h.Boot.Profile != "debian-installer" {
				t.Errorf("host %s = %s", name, b)
			}

			// 2. The agent reboots the machine into the installer.
			ctx, cancel = context.WithTimeout(t.Context(), kernelDeadline)
			took, err = g.waitSerialCount(ctx, "priority=critical", 1)
			cancel()
			if err != nil {
				t.Fatalf("after adoption: %v", err)
			}
			g.reached = true
			t.Logf("%s: power-on to the installer's kernel (discovery, adoption, reboot) in %v", tc.mode, took)
			serial, _ := os.ReadFile(g.serial)
			if !regexp.MustCompile(`pxed agent: .*reboot`).Match(serial) {
				t.Errorf("the serial console does not show the agent rebooting")
			}
			if n := strings.Count(string(serial), kernelStarted); n < 2 {
				t.Errorf("%d kernels started, want the discovery kernel then the installer's", n)
			}
			// 3. The installer's own syslog lines (log_host) reach the
			// machine's timeline; once is enough (the UEFI machine's
			// installer is the same), and it takes a minute.
			if tc.mode == "bios" {
				installerLogs(t, ns, px, tc.mac)
			}

			// The timeline holds the discovery, the inventory and the
			// adoption.
			b, err = apiFetch(t, ns, px, "/api/v1/machines/"+tc.mac)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"inventory"`, `"adopted"`, "by rule lab-by-serial"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("timeline of %s lacks %s:\n%s", tc.mac, want, b)
				}
			}
			g.powerOff()
		})
	}
}

// installerLogs waits for the installer's own syslog lines (log_host) on
// machine mac's timeline. Its syslogd forwards from the moment the
// installer has an address (netcfg), about a minute after its kernel
// starts under TCG.
func installerLogs(t *testing.T, ns *Namespace, px *Pxed, mac string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var lines []string
	err := waitFor(ctx, 500*time.Millisecond, func() (bool, error) {
		b, err := apiFetch(t, ns, px, "/api/v1/machines/"+mac)
		if err != nil {
			return false, err
		}
		var d web.MachineDetailJSON
		if err := json.Unmarshal(b, &d); err != nil {
			return false, err
		}
		lines = lines[:0]
		for _, b := range d.Boots {
			for _, s := range b.Steps {
				if s.Kind == "log" && s.Proto == "syslog" {
					lines = append(lines, s.Detail)
				}
			}
		}
		return len(lines) > 0, nil
	})
	if err != nil {
		t.Errorf("no installer log line on %s's timeline: %v", mac, err)
		return
	}
	t.Logf("%s: %d installer log lines on the timeline, the first %q", mac, len(lines), lines[0])
}
