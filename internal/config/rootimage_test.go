package config

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pxed check reads a profile's image (a directory, or a tar archive
// relative to the config file), its compression and its overlay, each
// problem at its line.
func TestValidateRootImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "root/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "ram.tar"))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "./etc/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.Close()
	f.Close()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Repeat("not a tar archive\n", 64)), 0o644)
	src := `dhcp: {enabled: false}
tftp: {root: ROOT}
profiles:
  - name: dir
    kernel: pxelinux.0
    image: DIR/root
    overlay:
      /etc/hostname: "{{.Hostname}}\n"
      /etc/machine-id: "{{.MachineID}}\n"
  - name: tar
    kernel: pxelinux.0
    image: ram.tar
    image_compression: gzip
  - name: broken
    kernel: pxelinux.0
    image: notes.txt
    image_compression: xz
    overlay:
      etc/hostname: x
      /etc/hosts: "{{.Hostnme}}"
  - name: missing
    kernel: pxelinux.0
    image: DIR/nothing
  - name: overlay-alone
    kernel: pxelinux.0
    overlay:
      /etc/hostname: x
  - name: san-too
    kernel: pxelinux.0
    image: ram.tar
    san:
      target: "iscsi:192.168.1.21::::iqn.2026-12.lan.test:disk"
      hook: true
`
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "pxelinux.0"), []byte("boot"), 0o644)
	src = strings.NewReplacer("ROOT", root, "DIR", dir).Replace(src)
	c, err := Parse(filepath.Join(dir, "pxed.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Validate() {
		got = append(got, strings.ReplaceAll(p.Error(), dir, "DIR"))
	}
	want := []string{
		`DIR/pxed.yaml:16: profile "broken" image: DIR/notes.txt is not a tar archive: archive/tar: invalid tar header (a directory or a tar archive, plain, gzip or zstd)`,
		`DIR/pxed.yaml:17: profile "broken": image compression "xz": use zstd or gzip`,
		`DIR/pxed.yaml:19: profile "broken": overlay path "etc/hostname" is not absolute`,
		`DIR/pxed.yaml:20: profile "broken" overlay /etc/hosts: cmdline:1:2: executing "cmdline" at <.Hostnme>: map has no entry for key "Hostnme" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, RootPath, MachineID, Agent, LogHost, LogPort)`,
		`DIR/pxed.yaml:23: profile "missing" image: stat DIR/nothing: no such file or directory (a directory or a tar archive, plain, gzip or zstd)`,
		`DIR/pxed.yaml:26: profile "overlay-alone": an overlay is laid over an image: set image`,
		`DIR/pxed.yaml:30: profile "san-too" has an image and a san: a machine runs its image from RAM or boots its SAN disk, not both`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	p, _ := c.ProfileByName("tar")
	if s, ok := c.ImageSource(p); !ok || s.Path != filepath.Join(dir, "ram.tar") || s.Compression.String() != "gzip" {
		t.Errorf("ImageSource(tar) = %+v, %v", s, ok)
	}
}
