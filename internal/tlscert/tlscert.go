package tlscert

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pxed/pxed/internal/atomicfile"
)

// Files pxed keeps in its TLS directory.
const (
	CAFile   = "ca.pem" // the CA certificate, PEM: to enroll where PEM is taken
	CAKey    = "ca.key" // the CA's private key, readable by pxed only
	ESLFile  = "ca.esl" // the CA as an EFI signature list: to enroll in firmware
	CertFile = "server.pem"
	KeyFile  = "server.key"
)

// Lifetimes. The CA outlives many server certificates; a server
// certificate is made anew when it nears its end or no longer names an
// address pxed serves from.
const (
	caLife     = 20 * 365 * 24 * time.Hour
	serverLife = 2 * 365 * 24 * time.Hour
	renewAhead = 30 * 24 * time.Hour
	// backdate covers firmware clocks behind the real time.
	backdate = 24 * time.Hour
	rsaBits  = 2048
)

// Identity is what the HTTPS server presents.
type Identity struct {
	Cert tls.Certificate
	// Made says the certificate is pxed's own (Ensure), signed by the CA
	// in Dir: the one firmware must be given.
	Made bool
	Dir  string
	// Renewed says Ensure made a new server certificate this time.
	Renewed bool
}

// Load reads the operator's certificate (then any intermediates) and key,
// both PEM.
func Load(certFile, keyFile string) (Identity, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return Identity{}, fmt.Errorf("loading TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return Identity{Cert: c}, nil
}

// Ensure returns pxed's own certificate from dir, naming hosts (IP
// addresses and DNS names), valid at now. It makes the CA on first use,
// and a new server certificate when none is there, the one there does not
// name every host, or it ends within 30 days. The CA is written as PEM and
// as an EFI signature list beside it.
func Ensure(dir string, hosts []string, now time.Time) (Identity, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Identity{}, fmt.Errorf("TLS directory: %w", err)
	}
	ca, caKey, err := ensureCA(dir, now)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Made: true, Dir: dir}
	if c, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)); err == nil && Covers(c.Leaf, ca, hosts, now) {
		id.Cert = c
		return id, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Identity{}, fmt.Errorf("reading %s: %w (remove it and pxed makes a new one)", filepath.Join(dir, CertFile), err)
	}
	certDER, key, err := newServer(rand.Reader, ca, caKey, hosts, now)
	if err != nil {
		return Identity{}, err
	}
	if err := writeKey(filepath.Join(dir, KeyFile), key); err != nil {
		return Identity{}, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CertFile), pemBlock("CERTIFICATE", certDER), 0o644); err != nil {
		return Identity{}, fmt.Errorf("writing server certificate: %w", err)
	}
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		return Identity{}, fmt.Errorf("reading back the server certificate: %w", err)
	}
	id.Cert, id.Renewed = c, true
	return id, nil
}

// ensureCA reads the CA from dir, or makes and writes it (key first, so a
// crash between the two leaves a key without a certificate, which the next
// start replaces, never a certificate whose key is lost).
func ensureCA(dir string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKey))
	switch {
	case err == nil:
		signer, ok := c.PrivateKey.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("CA key in %s cannot sign", dir)
		}
		return c.Leaf, signer, writeESL(dir, c.Leaf.Raw)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("reading the CA in %s: %w", dir, err)
	}
	der, key, err := newCA(rand.Reader, now)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKey(filepath.Join(dir, CAKey), key); err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CAFile), pemBlock("CERTIFICATE", der), 0o644); err != nil {
		return nil, nil, fmt.Errorf("writing the CA: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return ca, key, writeESL(dir, der)
}

// writeESL keeps ca.esl in step with the CA.
func writeESL(dir string, caDER []byte) error {
	esl := ESL([][]byte{caDER}, OwnerGUID)
	path := filepath.Join(dir, ESLFile)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, esl) {
		return nil
	}
	if err := atomicfile.WriteFile(path, esl, 0o644); err != nil {
		return fmt.Errorf("writing the CA's EFI signature list: %w", err)
	}
	return nil
}

func writeKey(path string, key *rsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, pemBlock("PRIVATE KEY", der), 0o600); err != nil {
		return fmt.Errorf("writing key %s: %w", path, err)
	}
	return nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// newCA makes a self-signed RSA CA certificate valid from a day before now.
func newCA(r io.Reader, now time.Time) ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(r, rsaBits)
	if err != nil {
		return nil, nil, fmt.Errorf("making the CA key: %w", err)
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(r),
		Subject:               pkix.Name{CommonName: "pxed boot CA " + host, Organization: []string{"pxed"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(r, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("making the CA certificate: %w", err)
	}
	return der, key, nil
}

// newServer makes an RSA server certificate for hosts, signed by ca.
func newServer(r io.Reader, ca *x509.Certificate, caKey crypto.Signer, hosts []string, now time.Time) ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(r, rsaBits)
	if err != nil {
		return nil, nil, fmt.Errorf("making the server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(r),
		Subject:      pkix.Name{CommonName: "pxed boot server", Organization: []string{"pxed"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(serverLife),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.Unmap().AsSlice()))
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(r, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("making the server certificate: %w", err)
	}
	return der, key, nil
}

func serial(r io.Reader) *big.Int {
	n, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// Covers reports whether leaf, signed by ca, names every host and stays
// valid for 30 days after now: whether pxed may keep serving it.
func Covers(leaf, ca *x509.Certificate, hosts []string, now time.Time) bool {
	if leaf == nil || ca == nil || leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	if now.Before(leaf.NotBefore) || now.Add(renewAhead).After(leaf.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			if !slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.IP(a.Unmap().AsSlice())) }) {
				return false
			}
		} else if !slices.Contains(leaf.DNSNames, h) {
			return false
		}
	}
	return true
}

// OwnerGUID is the SignatureOwner pxed writes in its signature lists: a
// fixed, random GUID (the owner is informational to the firmware).
var OwnerGUID = [16]byte{0x5e, 0x6d, 0x0c, 0x8f, 0x21, 0x9a, 0x4b, 0x47, 0x9b, 0x53, 0x2d, 0x1e, 0x70, 0x43, 0xa1, 0x1c}

// certX509GUID is EFI_CERT_X509_GUID, a5c059a1-94e4-4aa7-87b5-ab155c2bf072,
// in its in-memory (mixed-endian) byte order.
var certX509GUID = [16]byte{0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72}

// ESL encodes DER certificates as EFI_SIGNATURE_LISTs, one list per
// certificate (UEFI 2.10 §32.4.1 "Signature Database"): SignatureType
// EFI_CERT_X509_GUID, SignatureListSize, SignatureHeaderSize 0,
// SignatureSize, then one EFI_SIGNATURE_DATA (owner GUID, DER). EDK2's
// HttpDxe accepts exactly this in TlsCaCertificate (HttpsSupport.c,
// TlsConfigCertificate): X.509 lists with no header.
func ESL(certs [][]byte, owner [16]byte) []byte {
	var out []byte
	for _, der := range certs {
		sigSize := 16 + len(der)
		hdr := make([]byte, 28)
		copy(hdr, certX509GUID[:])
		binary.LittleEndian.PutUint32(hdr[16:], uint32(28+sigSize))
		binary.LittleEndian.PutUint32(hdr[20:], 0)
		binary.LittleEndian.PutUint32(hdr[24:], uint32(sigSize))
		out = append(append(append(out, hdr...), owner[:]...), der...)
	}
	return out
}

// Config is the server TLS configuration for firmware clients and anyone
// else: TLS 1.2 and up, Go's default suites plus the RSA key-exchange
// ones, which EDK2 needs (its OpenSSL has no ECDHE, and Go has no DHE; Go
// leaves RSA key exchange out of its defaults since 1.22 and takes it back
// when listed, crypto/tls CipherSuites).
func Config(id Identity) *tls.Config {
	suites := []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		// For EDK2 (OVMF, AAVMF and firmware built the same way).
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	}
	return &tls.Config{
		Certificates: []tls.Certificate{id.Cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: suites,
	}
}
