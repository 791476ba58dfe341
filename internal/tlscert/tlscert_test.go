package tlscert

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// Ensure makes the CA and a server certificate once, keeps them while they
// name every host, and makes a new server certificate (same CA) when a
// host is added or the certificate nears its end.
func TestEnsureKeepsAndRenews(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Ensure(dir, []string{"192.168.1.21", "boot.test.lan"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Made || !first.Renewed {
		t.Errorf("first Ensure: Made %v Renewed %v, want both", first.Made, first.Renewed)
	}
	leaf := first.Cert.Leaf
	if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("192.168.1.21")) || len(leaf.DNSNames) != 1 {
		t.Errorf("server certificate names %v %v", leaf.IPAddresses, leaf.DNSNames)
	}
	if !leaf.NotBefore.Before(now.Add(-time.Hour)) {
		t.Errorf("NotBefore %v is not backdated", leaf.NotBefore)
	}
	for name, mode := range map[string]os.FileMode{CAKey: 0o600, KeyFile: 0o600, CAFile: 0o644, CertFile: 0o644, ESLFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}

	again, err := Ensure(dir, []string{"192.168.1.21"}, now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.Renewed || !bytes.Equal(again.Cert.Leaf.Raw, leaf.Raw) {
		t.Error("a certificate that still names every host was replaced")
	}

	caBefore, _ := os.ReadFile(filepath.Join(dir, CAFile))
	moved, err := Ensure(dir, []string{"192.168.1.21", "10.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !moved.Renewed || !moved.Cert.Leaf.IPAddresses[1].Equal(net.ParseIP("10.0.0.1")) {
		t.Errorf("a new address did not renew the certificate: %v", moved.Cert.Leaf.IPAddresses)
	}
	caAfter, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if !bytes.Equal(caBefore, caAfter) {
		t.Error("renewing the server certificate changed the CA: firmware would have to enroll it again")
	}

	late, err := Ensure(dir, []string{"192.168.1.21"}, moved.Cert.Leaf.NotAfter.Add(-10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !late.Renewed {
		t.Error("a certificate 10 days from its end was kept")
	}
}

// A damaged certificate file stops the start with its path named, rather
// than being silently replaced by a new identity.
func TestEnsureReportsDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Ensure(dir, []string{"192.168.1.21"}, now); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, CAFile), []byte("not pem"), 0o644)
	_, err := Ensure(dir, []string{"192.168.1.21"}, now)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("damaged CA: %v, want an error naming %s", err, dir)
	}
}

// The signature list has the layout EDK2 checks (UEFI 2.10 §32.4.1), and
// efitools, a real reader of such lists, gets the CA back from it.
func TestESL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	id, err := Ensure(dir, []string{"192.168.1.21"}, now)
	if err != nil {
		t.Fatal(err)
	}
	esl, err := os.ReadFile(filepath.Join(dir, ESLFile))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFile))
	block, _ := pem.Decode(caPEM)
	if !bytes.Equal(esl[:16], certX509GUID[:]) {
		t.Errorf("SignatureType % x", esl[:16])
	}
	listSize := binary.LittleEndian.Uint32(esl[16:])
	headerSize := binary.LittleEndian.Uint32(esl[20:])
	sigSize := binary.LittleEndian.Uint32(esl[24:])
	if int(listSize) != len(esl) || headerSize != 0 || int(sigSize) != 16+len(block.Bytes) {
		t.Errorf("sizes: list %d (file %d), header %d, signature %d (want %d)", listSize, len(esl), headerSize, sigSize, 16+len(block.Bytes))
	}
	if !bytes.Equal(esl[44:], block.Bytes) {
		t.Error("the list does not end with the CA's DER")
	}
	if id.Cert.Leaf.CheckSignatureFrom(mustParse(t, block.Bytes)) != nil {
		t.Error("the server certificate is not signed by the CA in the list")
	}

	tool, err := exec.LookPath("sig-list-to-certs")
	if err != nil {
		t.Fatalf("efitools is not installed (scripts/deps installs it): %v", err)
	}
	out := filepath.Join(t.TempDir(), "cert")
	if b, err := exec.Command(tool, filepath.Join(dir, ESLFile), out).CombinedOutput(); err != nil {
		t.Fatalf("sig-list-to-certs: %v: %s", err, b)
	}
	der, err := os.ReadFile(out + "-0.der")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(der, block.Bytes) {
		t.Error("efitools read another certificate out of the list")
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A client that speaks as EDK2 does (TLS 1.2, RSA key exchange only: no
// ECDHE, no TLS 1.3) completes a handshake with Config, trusting the CA
// and checking the IP address in the URL; openssl s_client, a real client,
// does the same with the CA's PEM file.
func TestConfigServesFirmwareClients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	id, err := Ensure(dir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", Config(id))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.(*tls.Conn).Handshake()
				c.Write([]byte("ok\n"))
			}()
		}
	}()
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFile))
	pool.AppendCertsFromPEM(caPEM)
	for _, suite := range []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{suite},
		})
		if err != nil {
			t.Errorf("suite %s: %v", tls.CipherSuiteName(suite), err)
			continue
		}
		c.Close()
	}

	cmd := exec.Command("openssl", "s_client", "-connect", ln.Addr().String(), "-tls1_2", "-cipher", "AES128-GCM-SHA256",
		"-CAfile", filepath.Join(dir, CAFile), "-verify_ip", "127.0.0.1", "-verify_return_error", "-brief")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Errorf("openssl s_client: %v\n%s", err, out)
	}
}
