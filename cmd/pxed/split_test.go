package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckTwoServers: the reference network's two servers, each checked
// on its own host. The DHCP host (tftp and http off, next_server the file
// host) has no TFTP root: check passes and says that it did not check the
// boot files and where they are; without next_server it notes, at the
// line, that clients would be sent to a host that serves no files. The
// file host (dhcp off) checks its root as ever.
func TestCheckTwoServers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-root")
	dhcpOnly := filepath.Join(dir, "dhcp.yaml")
	os.WriteFile(dhcpOnly, []byte(lab+"tftp:\n  enabled: false\nhttp:\n  enabled: false\n"), 0o644)
	code, stdout, stderr := runCLI("check", "--config", dhcpOnly, "--tftp-root", missing)
	want := dhcpOnly + ": ok: 1 subnet(s), 3 host(s), tftp off\n" +
		dhcpOnly + ": serves dhcp\n" +
		dhcpOnly + ": tftp is off here: boot files and profile kernels not checked (served by 192.168.1.21)\n"
	if code != 0 || stderr != "" || stdout != want {
		t.Errorf("DHCP host: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}

	noNext := filepath.Join(dir, "dhcp-no-next.yaml")
	os.WriteFile(noNext, []byte(strings.Replace(lab, "  next_server: 192.168.1.21\n", "", 1)+"tftp:\n  enabled: false\nhttp:\n  enabled: true\n"), 0o644)
	code, stdout, _ = runCLI("check", "--config", noNext)
	for _, want := range []string{
		"note: " + noNext + `:21: http is enabled but tftp is off`,
		"note: " + noNext + `:19: tftp is off, but subnet 192.168.1.0/24 gives boot file "pxelinux.0" with no boot.next_server`,
	} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("DHCP host without next_server: exit %d, stdout lacks %q:\n%s", code, want, stdout)
		}
	}

	root := filepath.Join(dir, "tftp")
	os.MkdirAll(filepath.Join(root, "debian-installer", "amd64"), 0o755)
	for _, f := range []string{"pxelinux.0", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz"} {
		os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
	}
	files := filepath.Join(dir, "files.yaml")
	os.WriteFile(files, []byte(strings.Replace(lab, "dhcp:\n", "dhcp:\n  enabled: false\n", 1)+"http:\n  enabled: true\n"), 0o644)
	code, stdout, stderr = runCLI("check", "--config", files, "--tftp-root", root)
	if code != 1 || !strings.Contains(stderr, `UEFI loader "debian-installer/amd64/grubx64.efi" for efi-x64 is not in the TFTP root`) {
		t.Errorf("file host without grubx64.efi: exit %d, stderr %q", code, stderr)
	}
	os.WriteFile(filepath.Join(root, "debian-installer/amd64/grubx64.efi"), []byte("x"), 0o644)
	code, stdout, stderr = runCLI("check", "--config", files, "--tftp-root", root)
	want = files + ": ok: 1 subnet(s), 3 host(s), tftp root " + root + "\n" + files + ": serves tftp, http\n"
	if code != 0 || stderr != "" || stdout != want {
		t.Errorf("file host: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
}
