package rootimage

import (
	"net"
	"strings"
)

// Where pxed serves a profile's image and each machine's overlay, over
// TFTP and HTTP alike: images/<profile>/root.cpio.zst (or .gz) and
// images/<profile>/<mac>.cpio, the MAC lower case with hyphens as in
// pxed's other per-machine paths.
const pathPrefix = "images/"

// ImagePath is where the image of profile is served.
func ImagePath(profile string, c Compression) string {
	return pathPrefix + profile + "/root.cpio" + c.Ext()
}

// OverlayPath is where machine mac's overlay for profile is served.
func OverlayPath(profile string, mac net.HardwareAddr) string {
	return pathPrefix + profile + "/" + strings.ReplaceAll(mac.String(), ":", "-") + ".cpio"
}

// Request is what a path asks for: a profile's image, or (MAC set) a
// machine's overlay.
type Request struct {
	Profile string
	Ext     string           // the image's suffix as asked: .zst or .gz
	MAC     net.HardwareAddr // nil for the image
}

// ParsePath reads an ImagePath or OverlayPath (with or without a leading
// slash).
func ParsePath(p string) (Request, bool) {
	rest, ok := strings.CutPrefix(strings.TrimLeft(p, "/"), pathPrefix)
	if !ok {
		return Request{}, false
	}
	profile, file, ok := strings.Cut(rest, "/")
	if !ok || profile == "" || strings.Contains(file, "/") {
		return Request{}, false
	}
	if ext, ok := strings.CutPrefix(file, "root.cpio"); ok && (ext == ".zst" || ext == ".gz") {
		return Request{Profile: profile, Ext: ext}, true
	}
	name, ok := strings.CutSuffix(file, ".cpio")
	// Only the hyphen form OverlayPath writes: net.ParseMAC would also
	// take colons, and a name mixing both must not alias an overlay.
	if !ok || len(name) != 17 || strings.Contains(name, ":") {
		return Request{}, false
	}
	mac, err := net.ParseMAC(strings.ReplaceAll(name, "-", ":"))
	if err != nil {
		return Request{}, false
	}
	return Request{Profile: profile, MAC: mac}, true
}
