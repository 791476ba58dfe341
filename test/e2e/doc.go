//go:build e2e

// Package e2e boots real firmware against pxed: every test builds its own
// network namespace (a bridge with tap devices for QEMU guests, or a veth pair
// to a client namespace), starts pxed inside it and checks what a user would
// check: the guest's serial console shows the kernel starting, real DHCP
// clients get the addresses the configuration promises, and `pxed leases`
// records them.
//
// The tests need root (namespaces, taps) and the packages scripts/deps
// installs. Run them with
//
//	go test -tags e2e -count=1 -v -timeout 40m ./test/e2e/
//
// On failure a test prints the tail of pxed's log and of each guest's serial
// console, and keeps logs and a PNG screendump of each guest's screen under
// $PXED_E2E_ARTIFACTS (default: $TMPDIR/pxed-e2e-artifacts).
package e2e
