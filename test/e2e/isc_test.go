//go:build e2e

package e2e

import "testing"

// TestISCDhcpdConf serves examples/dhcpd.conf, the reference network written
// as an ISC dhcpd.conf, with no YAML at all: udhcpc, playing a BIOS PXE
// client as station-01 and an x64 UEFI one as station-02, must get its fixed
// address, next-server and the boot file of its class, as the client itself
// reports them; the lease store must hold both leases.
func TestISCDhcpdConf(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox")
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Config: "examples/dhcpd.conf"})

	for _, c := range []struct {
		station Station
		vendor  string // option 60, as PXE 2.1 ROMs send it
		file    string
	}{
		{station01, "PXEClient:Arch:00000:UNDI:002001", "pxelinux.0"},
		{station02, "PXEClient:Arch:00007:UNDI:003001", "debian-installer/amd64/grubx64.efi"},
	} {
		t.Run(c.station.Name, func(t *testing.T) {
			setMAC(t, client, "cli0", c.station.MAC)
			got, err := udhcpcLease(t, client, "cli0", "-V", c.vendor)
			if err != nil {
				t.Fatal(err)
			}
			if got.IP != c.station.IP || got.ServerID != "192.168.1.21" || got.SIAddr != "192.168.1.21" || got.BootFile != c.file {
				t.Errorf("%s (%s) got ip %s from server %q, siaddr %q, boot file %q; want %s from 192.168.1.21, 192.168.1.21, %q",
					c.station.Name, c.vendor, got.IP, got.ServerID, got.SIAddr, got.BootFile, c.station.IP, c.file)
			}
		})
	}
	if t.Failed() {
		return
	}
	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, station01.IP)
	expectLease(t, leases, station02.MAC, station02.IP)
}
