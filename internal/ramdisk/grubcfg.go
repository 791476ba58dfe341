package ramdisk

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// grubFiles lists the files a GRUB config loads with its linux and initrd
// commands (and Debian's linuxefi and initrdefi), in order, once each, as
// paths relative to the disk's root. These are the files an image must
// hold for the config to boot from it. A path GRUB would not read from
// the disk it was loaded from (a device "(tftp)/…" or "(http,…)/…", a
// variable) is an error: the image could not boot.
func grubFiles(cfg []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		var names []string
		switch f[0] {
		case "linux", "linuxefi":
			names = f[1:2]
		case "initrd", "initrdefi":
			names = f[1:]
		default:
			continue
		}
		for _, n := range names {
			if !strings.HasPrefix(n, "/") || strings.ContainsAny(n, "$()") {
				return nil, fmt.Errorf("the config's %s names %q, not an absolute path on GRUB's own disk", f[0], n)
			}
			if p := strings.TrimLeft(n, "/"); !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, sc.Err()
}
