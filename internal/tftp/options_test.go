package tftp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNegotiate(t *testing.T) {
	t.Parallel()
	lim := limits{maxBlockSize: 1468, maxWindowSize: 64, size: 12345}
	o := func(kv ...string) []Option {
		var opts []Option
		for i := 0; i < len(kv); i += 2 {
			opts = append(opts, Option{kv[i], kv[i+1]})
		}
		return opts
	}
	cases := []struct {
		name string
		req  []Option
		lim  limits
		want params
	}{
		{"none", nil, lim, params{blockSize: 512, windowSize: 1}},
		{"ipxe", o("blksize", "1432", "tsize", "0"), lim,
			params{blockSize: 1432, windowSize: 1, oack: o("blksize", "1432", "tsize", "12345")}},
		// EDK2's UEFI PXE client (OVMF, AAVMF) on a 1500-byte link, as the
		// lab captured it: it asks for a block that fills the MTU and a
		// window of 4 (NetworkPkg's PcdPxeTftpWindowSize). RFC 7440 §4 lets
		// the server only lower the window, so granting both as asked is
		// the most EDK2 accepts.
		{"edk2", o("tsize", "0", "blksize", "1468", "windowsize", "4"), lim,
			params{blockSize: 1468, windowSize: 4, oack: o("tsize", "12345", "blksize", "1468", "windowsize", "4")}},
		{"order kept, names lowered", o("TSIZE", "0", "BlkSize", "1408"), lim,
			params{blockSize: 1408, windowSize: 1, oack: o("tsize", "12345", "blksize", "1408")}},
		{"blksize clamped to the limit", o("blksize", "65464"), lim,
			params{blockSize: 1468, windowSize: 1, oack: o("blksize", "1468")}},
		{"blksize clamped to the RFC maximum", o("blksize", "65535"), limits{maxBlockSize: 70000, maxWindowSize: 1},
			params{blockSize: 65464, windowSize: 1, oack: o("blksize", "65464")}},
		{"blksize minimum", o("blksize", "8"), lim, params{blockSize: 8, windowSize: 1, oack: o("blksize", "8")}},
		{"blksize too small ignored", o("blksize", "7"), lim, params{blockSize: 512, windowSize: 1}},
		{"blksize garbage ignored", o("blksize", "+1000", "tsize", "0"), lim,
			params{blockSize: 512, windowSize: 1, oack: o("tsize", "12345")}},
		{"blksize huge number ignored", o("blksize", "99999999999999999999"), lim, params{blockSize: 512, windowSize: 1}},
		{"tsize unknown (netascii)", o("tsize", "0"), limits{maxBlockSize: 1468, maxWindowSize: 64, size: -1},
			params{blockSize: 512, windowSize: 1}},
		{"tsize empty ignored", o("tsize", ""), lim, params{blockSize: 512, windowSize: 1}},
		{"timeout", o("timeout", "3"), lim,
			params{blockSize: 512, windowSize: 1, timeout: 3 * time.Second, oack: o("timeout", "3")}},
		{"timeout 0 ignored", o("timeout", "0"), lim, params{blockSize: 512, windowSize: 1}},
		{"timeout 256 ignored", o("timeout", "256"), lim, params{blockSize: 512, windowSize: 1}},
		{"windowsize", o("windowsize", "16"), lim, params{blockSize: 512, windowSize: 16, oack: o("windowsize", "16")}},
		{"windowsize clamped", o("windowsize", "65535"), lim, params{blockSize: 512, windowSize: 64, oack: o("windowsize", "64")}},
		{"windowsize 0 ignored", o("windowsize", "0"), lim, params{blockSize: 512, windowSize: 1}},
		{"windowsize 65536 ignored", o("windowsize", "65536"), lim, params{blockSize: 512, windowSize: 1}},
		{"unknown options ignored", o("multicast", "", "rollover", "0", "utimeout", "500"), lim,
			params{blockSize: 512, windowSize: 1}},
		{"first occurrence wins", o("blksize", "1024", "blksize", "8"), lim,
			params{blockSize: 1024, windowSize: 1, oack: o("blksize", "1024")}},
	}
	for _, c := range cases {
		got := negotiate(c.req, c.lim)
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(params{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestPathBlockSize: the largest block that leaves one unfragmented packet,
// MTU − 32 over IPv4 (20 + UDP 8 + TFTP 4) and MTU − 52 over IPv6 (40 + 8 + 4).
func TestPathBlockSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit, mtu int
		ipv6       bool
		want       int
	}{
		{1468, 1500, false, 1468},
		{1468, 1500, true, 1448},
		{8192, 9000, false, 8192},
		{65464, 9000, true, 8948},
		{1468, 1280, true, 1228}, // IPv6's minimum link MTU (RFC 8200 §5)
		{1468, 0, true, 1468},    // MTU unknown: the configured cap alone
		{512, 1500, true, 512},
	} {
		if got := pathBlockSize(tc.limit, tc.mtu, tc.ipv6); got != tc.want {
			t.Errorf("pathBlockSize(%d, %d, ipv6=%v) = %d, want %d", tc.limit, tc.mtu, tc.ipv6, got, tc.want)
		}
	}
}
