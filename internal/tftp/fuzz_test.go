package tftp

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func addSeeds(f *testing.F) {
	for _, file := range []string{"testdata/pxelinux-tftp-rrq.pcap", "testdata/ovmf-uefi-dhcp-tftp.pcap"} {
		for _, b := range captureRequests(f, file) {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"\x00\x01a\x00octet\x00", "\x00\x02a\x00netascii\x00", "\x00\x03\x00\x01data", "\x00\x04\xff\xff",
		"\x00\x05\x00\x08abort\x00", "\x00\x06blksize\x001468\x00", "\x00\x01a\x00octet\x00blksize\x00",
		"\x00\x01a\x00octet\x00windowsize\x0064\x00timeout\x001\x00", "", "\x00", "\xff\xff",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParsePacket: no input panics, and whatever parses encodes back to a
// packet that parses the same.
func FuzzParsePacket(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePacket(b)
		if err != nil {
			return
		}
		enc := p.append(nil)
		q, err := parsePacket(enc)
		if err != nil {
			t.Fatalf("re-encoding of %q does not parse: %v", b, err)
		}
		if p.Data != nil && len(p.Data) == 0 {
			p.Data = q.Data // nil and empty are the same payload
		}
		if diff := cmp.Diff(p, q); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", b, diff)
		}
	})
}

// FuzzNegotiate: whatever options a client sends, the answer stays within
// the RFC ranges and the server's limits, and acknowledges only options
// that were asked for.
func FuzzNegotiate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePacket(b)
		if err != nil || p.Op != OpRRQ {
			return
		}
		lim := limits{maxBlockSize: 1468, maxWindowSize: 64, size: 4242}
		got := negotiate(p.Options, lim)
		if got.blockSize < minBlockSize || got.blockSize > lim.maxBlockSize {
			t.Fatalf("blksize %d outside [8, %d]", got.blockSize, lim.maxBlockSize)
		}
		if got.windowSize < 1 || got.windowSize > lim.maxWindowSize {
			t.Fatalf("windowsize %d outside [1, %d]", got.windowSize, lim.maxWindowSize)
		}
		asked := map[string]bool{}
		for _, o := range p.Options {
			asked[string(bytes.ToLower([]byte(o.Name)))] = true
		}
		seen := map[string]bool{}
		for _, o := range got.oack {
			if !asked[o.Name] || seen[o.Name] {
				t.Fatalf("OACK %v: %q not asked for or repeated", got.oack, o.Name)
			}
			seen[o.Name] = true
		}
	})
}
