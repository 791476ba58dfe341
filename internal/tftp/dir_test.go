package tftp

import (
	"errors"
	"io/fs"
	"testing"
)

func TestCleanPath(t *testing.T) {
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
