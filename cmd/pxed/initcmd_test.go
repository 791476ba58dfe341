package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/draft"
	"github.com/pxed/pxed/internal/pxe"
)

// TestDraftTextChecked: what pxed init writes reads back and passes the
// checks of pxed check, or is not written at all.
func TestDraftTextChecked(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "pxelinux.0"), []byte("PXELINUX"), 0o644); err != nil {
		t.Fatal(err)
	}
	facts := draft.Facts{
		Interface: "br0",
		Addr:      netip.MustParsePrefix("192.168.1.21/24"),
		Loaders:   []draft.Loader{{Path: "pxelinux.0", Arch: pxe.ArchBIOS}},
		TFTPRoot:  root,
	}
	for _, proxy := range []bool{false, true} {
		f := facts
		if proxy {
			f.Offer = &draft.Offer{Server: netip.MustParseAddr("192.168.1.1"), Offered: netip.MustParseAddr("192.168.1.57")}
		}
		d, err := draft.Build(f)
		if err != nil {
			t.Fatal(err)
		}
		text, err := draftText(d, "br0", "pxed.yaml")
		if err != nil {
			t.Fatalf("proxy %v: %v", proxy, err)
		}
		cfg, err := config.Parse("pxed.yaml", text)
		if err != nil {
			t.Fatal(err)
		}
		if ps := cfg.Validate(); len(ps) > 0 {
			t.Errorf("proxy %v: problems %v in\n%s", proxy, ps, text)
		}
		if got := cfg.DHCP.Subnets[0].Proxy; got != proxy {
			t.Errorf("subnet proxy = %v, want %v", got, proxy)
		}
		// The reason heads the file, as a comment.
		if !strings.HasPrefix(string(text), "# pxed configuration written by pxed init for br0.\n# "+d.Notes[0]+"\n") {
			t.Errorf("header does not give the reason %q:\n%s", d.Notes[0], text)
		}
	}

	// A loader missing from the root is a problem pxed check reports:
	// pxed init refuses to write such a config.
	f := facts
	f.Loaders = append(f.Loaders, draft.Loader{Path: "gone/grubx64.efi", Arch: pxe.ArchX64UEFI})
	d, err := draft.Build(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := draftText(d, "br0", "pxed.yaml"); err == nil || !strings.Contains(err.Error(), "gone/grubx64.efi") {
		t.Errorf("draftText with a missing loader: %v, want a problem naming it", err)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pxed.yaml")
	if err := os.WriteFile(out, []byte("interfaces: [eth0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// It refuses before it looks at any interface or sends anything.
	code, _, stderr := runCLI("init", "--interface", "no-such-interface0", "--out", out)
	if code != 1 || !strings.Contains(stderr, "exists: pxed init does not replace it without --force") {
		t.Errorf("init over an existing file: %d %q", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "interfaces: [eth0]\n" {
		t.Errorf("the existing file changed: %q", b)
	}
	if err := writeNew(out, []byte("x")); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("writeNew over an existing file: %v", err)
	}
}
