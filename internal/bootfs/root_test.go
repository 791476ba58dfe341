package bootfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCleanPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		err      error
	}{
		{"pxelinux.0", "pxelinux.0", nil},
		{"pxelinux.cfg/01-00-18-e7-42-84-3a", "pxelinux.cfg/01-00-18-e7-42-84-3a", nil},
		{"/debian-installer/amd64/grub/grub.cfg", "debian-installer/amd64/grub/grub.cfg", nil},
		{`debian-installer\amd64\linux`, "debian-installer/amd64/linux", nil},
		{"//a//b/./c", "a/b/c", nil},
		{"%2e%2e/x", "%2e%2e/x", nil}, // TFTP has no URL encoding: a plain name
		{"...", "...", nil},
		{"..", "", fs.ErrPermission},
		{"../etc/passwd", "", fs.ErrPermission},
		{`..\etc\passwd`, "", fs.ErrPermission},
		{"a/../../b", "", fs.ErrPermission},
		{"a/..", "", fs.ErrPermission},
		{"a\x00b", "", fs.ErrPermission},
		{"/", "", fs.ErrPermission},
		{".", "", fs.ErrPermission},
		{"", "", fs.ErrNotExist},
	}
	for _, c := range cases {
		got, err := cleanPath(c.in)
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("cleanPath(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
		}
	}
}

// TestRoot opens names under a root that has escape routes beside it: a
// sibling directory sharing the root's prefix, symlinks out, a FIFO. Each
// refusal must carry the kind the servers answer with (TFTP error 1 or 2,
// HTTP 404 or 403), and nothing outside the root may open.
func TestRoot(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "boot")
	sibling := filepath.Join(parent, "boot-private") // shares the root's prefix
	for _, d := range []string{dir, sibling, filepath.Join(dir, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{
		filepath.Join(parent, "secret"):  "SECRET",
		filepath.Join(sibling, "secret"): "SECRET",
		filepath.Join(dir, "ok"):         "fine",
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"link-out":     filepath.Join(parent, "secret"),
		"link-sibling": "../boot-private",
		"link-in":      "ok",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	cases := []struct {
		name string
		want error // nil: opens and reads "fine"
	}{
		{"ok", nil},
		{"/ok", nil},
		{`\ok`, nil},
		{"./ok", nil},
		{"link-in", nil},
		{"missing", fs.ErrNotExist},
		{"ok/x", syscall.ENOTDIR}, // passed on as it is, not as a refusal
		{"../secret", fs.ErrPermission},
		{`sub\..\..\secret`, fs.ErrPermission},
		{"../boot-private/secret", fs.ErrPermission},
		{"link-out", fs.ErrPermission},
		{"link-sibling/secret", fs.ErrPermission},
		{"fifo", fs.ErrPermission},
		{"sub", fs.ErrPermission},
		{"/", fs.ErrPermission},
		{"ok\x00/../../secret", fs.ErrPermission},
	}
	for _, c := range cases {
		f, err := root.Open(context.Background(), &Request{Path: c.name})
		if c.want != nil {
			if !errors.Is(err, c.want) {
				t.Errorf("%q: %v, want %v", c.name, err, c.want)
			}
			if f != nil {
				f.Close()
				t.Errorf("%q: opened, want %v", c.name, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.name, err)
			continue
		}
		b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if err != nil || string(b) != "fine" {
			t.Errorf("%q: read %q, %v; want %q", c.name, b, err, "fine")
		}
		f.Close()
	}
}

// TestChain: the first opener that has the name answers, a refusal other
// than fs.ErrNotExist stops the chain, and a name nobody has is not found.
func TestChain(t *testing.T) {
	t.Parallel()
	denied := errors.New("not for you")
	gen := OpenerFunc(func(_ context.Context, r *Request) (File, error) {
		switch r.Path {
		case "generated":
			return Bytes([]byte("first")), nil
		case "denied":
			return nil, denied
		}
		return nil, fs.ErrNotExist
	})
	static := OpenerFunc(func(_ context.Context, r *Request) (File, error) {
		if r.Path == "missing" {
			return nil, fs.ErrNotExist
		}
		return Bytes([]byte("second")), nil
	})
	chain := Chain(gen, static)
	for _, c := range []struct {
		path, want string
		err        error
	}{
		{"generated", "first", nil},
		{"static", "second", nil},
		{"denied", "", denied},
		{"missing", "", fs.ErrNotExist},
	} {
		f, err := chain.Open(context.Background(), &Request{Path: c.path})
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %v, want %v", c.path, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		b := make([]byte, f.Size())
		if _, err := f.ReadAt(b, 0); err != nil || string(b) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.path, b, err, c.want)
		}
	}
}

// TestReopen: a root moved to another directory serves that one's files
// from the next open, while a file opened before (a transfer in flight)
// reads to its end.
func TestReopen(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for dir, data := range map[string]string{a: "old kernel", b: "new kernel"} {
		if err := os.WriteFile(filepath.Join(dir, "linux"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(a, "only-old"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRoot(a)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	inFlight, err := r.Open(ctx, &Request{Path: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	defer inFlight.Close()
	if err := r.Reopen(b); err != nil {
		t.Fatal(err)
	}
	if r.Dir() != b {
		t.Errorf("Dir after Reopen = %s, want %s", r.Dir(), b)
	}
	if got, err := io.ReadAll(io.NewSectionReader(inFlight, 0, inFlight.Size())); err != nil || string(got) != "old kernel" {
		t.Errorf("the file open before the move read %q, %v; want its whole content", got, err)
	}
	f, err := r.Open(ctx, &Request{Path: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size())); string(got) != "new kernel" {
		t.Errorf("after the move, linux reads %q, want the new root's", got)
	}
	if _, err := r.Open(ctx, &Request{Path: "only-old"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file only in the old root opens after the move: %v", err)
	}
	if err := r.Reopen(filepath.Join(b, "missing")); err == nil {
		t.Error("Reopen of a missing directory succeeded")
	}
	if r.Dir() != b {
		t.Errorf("a failed Reopen moved the root to %s", r.Dir())
	}
}
