package profile

import (
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/config"
)

// signedGRUBCommands are the commands pxed's GRUB configs may use: each is
// in a module built into Debian 12's signed netboot GRUB
// (grubnetx64-installer: normal for set, menuentry and exit; linux for
// linux and initrd; read from the image's mods section). Under Secure Boot
// that GRUB runs locked down and refuses to insmod anything else
// ("prohibited by secure boot policy"), and refuses some built-in commands
// too (acpi, devicetree), so a config with any other command may stop a
// Secure Boot machine at GRUB's prompt. TestBootSecureBootShim (e2e)
// boots such a config on OVMF with Secure Boot enforced.
var signedGRUBCommands = map[string]bool{"set": true, "menuentry": true, "linux": true, "initrd": true, "exit": true, "}": true}

func TestGRUBConfigsRunUnderLockdown(t *testing.T) {
	t.Parallel()
	f := cmdline.Facts{MAC: "00:18:e7:42:7a:3e", IP: "192.168.1.103", Hostname: "station-03", Server: "192.168.1.21", Arch: "efi-x64"}
	live := &config.Profile{Name: "live", Kernel: "/live/vmlinuz", Initrd: []string{"live/initrd.img", "live/extra.img"}, Cmdline: "boot=live"}
	// With pxed's HTTP paths too: a GRUB with http built in reads them
	// under lockdown, since no insmod is needed.
	for _, p := range []*config.Profile{installer, live, {Name: config.LocalProfile}} {
		for _, render := range []func(*config.Profile, cmdline.Facts) ([]byte, error){GRUB, GRUBHTTP("192.168.1.21:8080")} {
			checkLockdownCommands(t, p, render, f)
		}
	}
}

func checkLockdownCommands(t *testing.T, p *config.Profile, render func(*config.Profile, cmdline.Facts) ([]byte, error), f cmdline.Facts) {
	t.Helper()
	out, err := render(p, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		cmd, _, _ := strings.Cut(fields[0], "=")
		if !signedGRUBCommands[cmd] {
			t.Errorf("profile %s: GRUB line %q uses %q, which Debian's signed GRUB may refuse under Secure Boot", p.Name, line, cmd)
		}
	}
}
