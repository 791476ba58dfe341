package pxe

import (
	"net"
	"strings"
)

// ImagePath is where pxed serves the RAM-disk image of machine mac booting
// as architecture a (a UEFI HTTP Boot architecture): image/http-efi-x64/
// 00-18-e7-42-7a-3e.img. The .img suffix alone already makes EDK2 take the
// download as a disk image (HttpBootCheckImageType), should a proxy drop
// the Content-Type.
func ImagePath(a Arch, mac net.HardwareAddr) string {
	return "image/" + a.String() + "/" + strings.ReplaceAll(mac.String(), ":", "-") + ".img"
}

// ParseImagePath reads the architecture and MAC of an ImagePath (with or
// without a leading slash).
func ParseImagePath(p string) (Arch, net.HardwareAddr, bool) {
	rest, ok := strings.CutPrefix(strings.TrimLeft(p, "/"), "image/")
	if !ok {
		return 0, nil, false
	}
	arch, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, nil, false
	}
	name, ok := strings.CutSuffix(rest, ".img")
	if !ok || len(name) != 17 {
		return 0, nil, false
	}
	a, err := ParseArch(arch)
	if err != nil || !a.HTTP() {
		return 0, nil, false
	}
	mac, err := net.ParseMAC(strings.ReplaceAll(name, "-", ":"))
	if err != nil {
		return 0, nil, false
	}
	return a, mac, true
}
