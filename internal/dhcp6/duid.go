package dhcp6

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/atomicfile"
)

// DUIDFile is where pxed keeps its DUID, under the data directory.
const DUIDFile = "dhcp6-duid"

// duidEpoch is the DUID-LLT time origin: midnight UTC, 1 January 2000
// (RFC 8415 §11.2).
var duidEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// LoadDUID returns pxed's server DUID kept in dir, or makes one and keeps
// it there: a DUID-LLT of mac and now (RFC 8415 §11.2). Kept rather than
// derived at each start because clients remember the server they got
// their addresses from (Renew and Release name it, §16.6, §16.9): a
// DUID-LL of "the first interface" would change when interfaces are
// renamed, reordered or replaced, and every client would then lose its
// server; §11.2 asks for a DUID-LLT to be stored for that reason.
func LoadDUID(dir string, mac net.HardwareAddr, now time.Time) (dhcpv6.DUID, error) {
	path := filepath.Join(dir, DUIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(raw) < 3 || len(raw) > 130 {
			return nil, fmt.Errorf("%s: not a DUID in hex", path)
		}
		d, err := dhcpv6.DUIDFromBytes(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return d, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading DUID: %w", err)
	}
	if len(mac) == 0 {
		return nil, errors.New("no hardware address to make a DUID of")
	}
	d := &dhcpv6.DUIDLLT{HWType: iana.HWTypeEthernet, Time: uint32(now.Sub(duidEpoch) / time.Second), LinkLayerAddr: mac}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	if err := atomicfile.WriteFile(path, []byte(hex.EncodeToString(d.ToBytes())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("keeping DUID: %w", err)
	}
	return d, nil
}
