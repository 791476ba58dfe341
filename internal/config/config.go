package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pxed/pxed/internal/lease"
)

// Config is everything pxed serves, read from one YAML file.
// docs/config.md documents every field; keep the two in step.
type Config struct {
	// Interfaces the DHCP server listens on (the --interface flag overrides).
	Interfaces []string `yaml:"interfaces"`
	// DataDir holds the durable lease store (the --data-dir flag overrides).
	DataDir string `yaml:"data_dir"`
	// User, if set, is the user pxed switches to once its sockets are
	// open (the --user flag overrides); see docs/security.md.
	User string `yaml:"user"`
	// Store selects where leases and the catalog are kept: DataDir
	// (default) or a PostgreSQL database that several pxed share.
	Store Store `yaml:"store"`
	Log   Log   `yaml:"log"`
	DHCP  DHCP  `yaml:"dhcp"`
	DHCP6 DHCP6 `yaml:"dhcp6"`
	TFTP  TFTP  `yaml:"tftp"`
	HTTP  HTTP  `yaml:"http"`
	Web   Web   `yaml:"web"`
	// Boot is the network-wide boot file choice; subnets and hosts may override it.
	Boot  Boot   `yaml:"boot"`
	Hosts []Host `yaml:"hosts"`
	// Profiles are named boot recipes that pxed renders into the configs
	// the loaders read: PXELINUX and GRUB configs and iPXE scripts.
	Profiles []Profile `yaml:"profiles"`
	IPv6     IPv6      `yaml:"ipv6"`
	// Discovery: the boot of machines without a host entry, and the
	// rules that adopt them (discovery.go).
	Discovery Discovery `yaml:"discovery"`
	// Syslog receives installers' logs (syslog.go).
	Syslog Syslog `yaml:"syslog"`
	// Hooks tell other systems of chosen events (hooks.go).
	Hooks []Hook `yaml:"hooks"`
	// DNSUpdates puts leased machines in DNS (dnsupdates.go).
	DNSUpdates DNSUpdates `yaml:"dns_updates"`

	// File is the path the configuration was read from ("" when built in code).
	File string `yaml:"-"`
	// lines maps a field path such as "hosts[1].mac" to its line in File.
	lines map[string]int
}

// Store selects where pxed keeps its state.
type Store struct {
	// Postgres, when its DSN is set, keeps leases and the catalog in
	// PostgreSQL instead of DataDir, so that several pxed instances can
	// serve one network.
	Postgres Postgres `yaml:"postgres"`
}

// Postgres locates the shared PostgreSQL database.
type Postgres struct {
	// DSN is a libpq connection string or postgres:// URL.
	DSN string `yaml:"dsn"`
}

// IPv6 is pxed's router advertisements (Advertise and its checks: ipv6.go).
type IPv6 struct {
	// RouterAdvertisement names the interfaces on which pxed answers IPv6
	// router solicitations with a minimal advertisement (router lifetime 0,
	// no prefix, no DHCPv6), so that iPXE stops waiting for IPv6. Only for
	// links without an IPv6 router of their own.
	RouterAdvertisement []string `yaml:"router_advertisement"`
	// Advertise: full router advertisements per interface (ipv6.go).
	Advertise []Advertise `yaml:"advertise"`
}

// Log selects the log level and format.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// DHCP configures the DHCPv4 server.
type DHCP struct {
	Enabled *bool `yaml:"enabled"`
	// Authoritative servers NAK requests for addresses that are wrong for the client (RFC 2131 §4.3.2).
	Authoritative bool     `yaml:"authoritative"`
	LeaseTime     Duration `yaml:"lease_time"`
	// DeclineHold is how long an address reported in use by DHCPDECLINE stays out of the pool.
	DeclineHold Duration `yaml:"decline_hold"`
	// OfferHold is how long an offered address is kept for the client that was offered it.
	OfferHold Duration `yaml:"offer_hold"`
	// RatePerMAC is how many requests per second are answered for one
	// client MAC (a token bucket with a burst of twice that); 0 means the
	// default 10, a negative value no limit.
	RatePerMAC float64 `yaml:"rate_per_mac"`
	// RateGlobal is how many requests per second are answered for all
	// clients not listed in hosts, together; 0 (the default) means no limit.
	RateGlobal float64 `yaml:"rate_global"`
	// Workers is how many requests each interface serves at once; 0 means
	// the default (1024). A request whose lease is being written keeps
	// its worker until the write is durable.
	Workers int `yaml:"workers"`
	// TrustedRelays are the relay agents (giaddr) whose requests are
	// served and whose option 82 is echoed; empty: every relay.
	TrustedRelays []Addr `yaml:"trusted_relays"`
	// Probe: checking, ahead of time, that the addresses pools will offer
	// next are not in use (probe.go).
	Probe   Probe    `yaml:"probe"`
	Subnets []Subnet `yaml:"subnets"`
}

// Subnet is one IPv4 network pxed serves, directly on an interface or through relays.
type Subnet struct {
	Network Prefix `yaml:"network"`
	// Proxy makes pxed a ProxyDHCP server on this subnet (PXE 2.1): another
	// DHCP server hands out the addresses, pxed answers PXE clients only,
	// with boot information and no address.
	Proxy bool `yaml:"proxy"`
	// Authoritative, when set, replaces dhcp.authoritative on this subnet,
	// as ISC dhcpd's "authoritative;" in a subnet declaration does.
	Authoritative *bool    `yaml:"authoritative"`
	Pools         []Range  `yaml:"pools"`
	Routers       []Addr   `yaml:"routers"`
	DNSServers    []Addr   `yaml:"dns_servers"`
	DomainName    string   `yaml:"domain_name"`
	LeaseTime     Duration `yaml:"lease_time"`
	Broadcast     Addr     `yaml:"broadcast_address"`
	Options       []Option `yaml:"options"`
	Boot          *Boot    `yaml:"boot"`
	BOOTP         BOOTP    `yaml:"bootp"` // which BOOTP clients are answered (bootp.go)
	// Probe, when false, turns conflict probing off on this subnet (its
	// pools and reservations); unset follows dhcp.probe.enabled.
	Probe *bool `yaml:"probe"`
}

// Boot says where a PXE client finds its boot program.
//
// The JSON form (API, catalog store) uses the YAML keys.
type Boot struct {
	// NextServer is the TFTP server (siaddr, option 66). Default: the address pxed answers from.
	NextServer Addr `yaml:"next_server" json:"next_server,omitzero"`
	// File is the boot file for clients whose architecture has no entry in Files.
	File string `yaml:"file" json:"file,omitempty"`
	// Files maps an architecture name (see docs/config.md) to its boot file.
	Files map[string]string `yaml:"files" json:"files,omitempty"`
	// Profile names the profile to boot (see Profiles); "local" boots the
	// local disk. Empty: no generated config, the loader finds its own files.
	Profile string `yaml:"profile" json:"profile,omitempty"`
	// SecureBoot says that the machines this section applies to enforce
	// UEFI Secure Boot, which their firmware does not say in DHCP. Inherited
	// like the files (network-wide, subnet, profile loader, host; nil:
	// the enclosing section's); Validate then refuses an unsigned UEFI
	// loader for them (see loaders.go).
	SecureBoot *bool `yaml:"secure_boot" json:"secure_boot,omitempty"`
	// HTTPImage gives UEFI HTTP Boot clients a RAM-disk image that pxed
	// builds from their boot file (files.http-efi-*), the GRUB config of
	// their profile and the files it loads, instead of the boot file
	// itself: GRUB then boots with no network access (internal/ramdisk).
	HTTPImage *bool `yaml:"http_image" json:"http_image,omitempty"`
	// HTTPS gives UEFI HTTP Boot clients https:// URLs of pxed's HTTPS
	// server (http.tls) for boot root paths, instead of http:// ones. The
	// firmware must trust pxed's certificate.
	HTTPS *bool `yaml:"https" json:"https,omitempty"`
}

// Profile is a named boot recipe: a kernel, its initrds and command line.
// Its JSON form (API, catalog store) uses the YAML keys.
type Profile struct {
	Name    string   `yaml:"name" json:"name"`
	Kernel  string   `yaml:"kernel" json:"kernel,omitempty"`
	Initrd  []string `yaml:"initrd" json:"initrd,omitempty"`
	Cmdline string   `yaml:"cmdline" json:"cmdline,omitempty"`
	// Console is the kernel console the command line names as
	// {{.Console}}; empty: the machine's architecture's (DefaultConsole).
	Console string `yaml:"console" json:"console,omitempty"`
	// Arch gives machines of some architectures their own kernel and
	// initrds (and console or command line), keyed by architecture name
	// (efi-arm64); an entry serves the HTTP Boot twin too (pxe.Arch.Machine).
	// Machines of other architectures boot the fields above. See ForArch.
	Arch map[string]ProfileArch `yaml:"arch" json:"arch,omitempty"`
	// Loader, when set, is the boot program that machines booting this
	// profile load (file, and files by architecture), over their subnet's
	// and the network-wide one; a host's own boot section still wins.
	// Its profile field must stay empty.
	Loader *Boot `yaml:"loader" json:"loader,omitempty"`
	// SAN boots the machines from an iSCSI target instead (san.go).
	SAN *SAN `yaml:"san" json:"san,omitempty"`
	// RootPath is a template for the root path of the machines booting
	// this profile: DHCP option 17 and {{.RootPath}} (see RootPath).
	RootPath string `yaml:"root_path" json:"root_path,omitempty"`
	// Image, Overlay, ImageCompression: a root packed into an initramfs
	// and each machine's files laid over it (rootimage.go).
	Image            string            `yaml:"image" json:"image,omitempty"`
	Overlay          map[string]string `yaml:"overlay" json:"overlay,omitempty"`
	ImageCompression string            `yaml:"image_compression" json:"image_compression,omitempty"`
}

// ProfileArch is what a profile boots on one architecture. Kernel and
// initrds are its own, both: an initrd built for one architecture is no use
// to another's kernel, so none is inherited. Console and Cmdline, when
// empty, are the profile's.
type ProfileArch struct {
	Kernel  string   `yaml:"kernel" json:"kernel"`
	Initrd  []string `yaml:"initrd" json:"initrd,omitempty"`
	Console string   `yaml:"console" json:"console,omitempty"`
	Cmdline string   `yaml:"cmdline" json:"cmdline,omitempty"`
}

// Host is a machine known by its MAC address, by one of a list of MACs or
// MAC globs, or by its SMBIOS UUID (option 97). Its JSON form (API,
// catalog store) uses the YAML keys.
type Host struct {
	Name string `yaml:"name" json:"name"`
	MAC  MAC    `yaml:"mac" json:"mac,omitzero"`
	// MACs are more addresses, or globs such as "00:18:e7:*" ("*" any
	// run of characters, "?" one), that match this host.
	MACs []string `yaml:"macs" json:"macs,omitempty"`
	// UUID is the machine's SMBIOS UUID as PXE clients send it in option 97
	// (RFC 4578 §2.3), written 8-4-4-4-12 in hex.
	UUID string `yaml:"uuid" json:"uuid,omitempty"`
	IP   Addr   `yaml:"ip" json:"ip,omitzero"`
	// IP6 is its fixed IPv6 address (DHCPv6), matched by MAC.
	IP6 Addr6 `yaml:"ip6" json:"ip6,omitzero"`
	// Netboot says when the host boots its profile: always (default), once
	// (until its installer calls back, then local), never (local).
	Netboot Netboot  `yaml:"netboot" json:"netboot,omitempty"`
	Boot    *Boot    `yaml:"boot" json:"boot,omitempty"`
	Options []Option `yaml:"options" json:"options,omitempty"`
	// Rule is the name of the discovery rule that adopted the machine as
	// this host (rules[].name), set by pxed; empty for hosts written by
	// hand or adopted by an operator.
	Rule string `yaml:"rule" json:"rule,omitempty"`
}

// Netboot is a host's network-boot policy.
type Netboot string

const (
	NetbootAlways Netboot = "always" // boot the profile every time (also when empty)
	NetbootOnce   Netboot = "once"   // boot the profile until the install callback, then local
	NetbootNever  Netboot = "never"  // boot the local disk
)

// Option is a DHCP option given by code, with exactly one value field set.
type Option struct {
	Code   int     `yaml:"code" json:"code"`
	String *string `yaml:"string" json:"string,omitempty"`
	IP     []Addr  `yaml:"ip" json:"ip,omitempty"`
	Hex    *string `yaml:"hex" json:"hex,omitempty"`
	Uint8  *uint8  `yaml:"uint8" json:"uint8,omitempty"`
	Uint16 *uint16 `yaml:"uint16" json:"uint16,omitempty"`
	Uint32 *uint32 `yaml:"uint32" json:"uint32,omitempty"`
	Bool   *bool   `yaml:"bool" json:"bool,omitempty"`
}

// HTTP configures the HTTP server that serves the boot root (the TFTP
// root) to loaders that can fetch over HTTP.
type HTTP struct {
	// Enabled switches the HTTP boot server on (default off).
	Enabled bool `yaml:"enabled"`
	// Address to listen on, default ":8080".
	Address string `yaml:"address"`
	// IPXEScript gives clients that are already iPXE the URL of a script
	// rendered from their profile as boot file, instead of the boot file.
	IPXEScript bool `yaml:"ipxe_script"`
	// IPXEEFI is iPXE's x64 UEFI build on pxed's host, which pxed serves
	// as the boot file of x64 UEFI PXE machines said not to enforce Secure
	// Boot (boot.secure_boot: false; IPXEEFIFile). Empty: DefaultIPXEEFI when it exists;
	// "off": no chain.
	IPXEEFI string `yaml:"ipxe_efi"`
	// TLS serves the same files over HTTPS as well, on a port of its own.
	TLS TLS `yaml:"tls"`
}

// TLS configures the HTTPS side of the HTTP boot server, for firmware that
// boots from https:// URLs (UEFI HTTPS Boot). Machines whose boot section
// says https get https:// boot URLs.
type TLS struct {
	// Address to listen on for HTTPS, such as ":8443". Empty: no HTTPS.
	Address string `yaml:"address"`
	// Cert and Key are PEM files: the server's certificate (then any
	// intermediates) and its private key. Both empty: pxed makes a CA and
	// a server certificate under <data_dir>/tls on first start and keeps
	// them; the firmware must trust that CA, which pxed writes beside them
	// as ca.pem and as ca.esl (the EFI signature list EDK2 enrolls).
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Dir is where pxed keeps the CA and certificate it makes for HTTPS.
func (t TLS) Dir(dataDir string) string { return filepath.Join(dataDir, "tls") }

// Web configures pxed's management side: the JSON API, the dashboard and
// /metrics. It listens apart from the boot services, on localhost unless
// the operator opens it up.
type Web struct {
	// Enabled switches it on (default on).
	Enabled *bool `yaml:"enabled"`
	// Address to listen on, default "127.0.0.1:9069".
	Address string `yaml:"address"`
	// TokenFile holds the API token that changes need (and reads, unless
	// PublicRead). Default: <data_dir>/api-token, created on first start
	// with a random token, readable by pxed's user only.
	TokenFile string `yaml:"token_file"`
	// PublicRead lets anyone who reaches Address read (machines, leases,
	// dashboard, metrics) without the token; changes still need it.
	PublicRead bool `yaml:"public_read"`
}

// TokenPath is where the API token is read from (and created, by default).
func (w Web) TokenPath(dataDir string) string {
	if w.TokenFile != "" {
		return w.TokenFile
	}
	return filepath.Join(dataDir, "api-token")
}

// TFTP configures the read-only TFTP server.
type TFTP struct {
	Enabled *bool `yaml:"enabled"`
	// Root is the directory served (the --tftp-root flag overrides).
	Root string `yaml:"root"`
	// Address to listen on, default ":69".
	Address string `yaml:"address"`
	// MaxBlockSize caps RFC 2348 blksize; it is also clamped to the interface MTU − 32.
	MaxBlockSize int `yaml:"max_block_size"`
	// MaxWindowSize caps RFC 7440 windowsize (default 64).
	MaxWindowSize int `yaml:"max_window_size"`
	// MaxTransfers caps concurrent transfers; excess requests get an ERROR packet.
	MaxTransfers int `yaml:"max_transfers"`
	// Timeout is the first retransmission timeout; it doubles on each retry.
	Timeout Duration `yaml:"timeout"`
	// Retries bounds retransmissions of one window before the transfer is abandoned.
	Retries int `yaml:"retries"`
	// SinglePort runs every transfer on the listening port (69) instead of
	// one new port per transfer, for clients behind NAT or strict firewalls.
	SinglePort bool `yaml:"single_port"`
}

// Defaults applied by Parse (ApplyDefaults) to fields left empty.
const (
	DefaultDataDir       = "/var/lib/pxed"
	DefaultWebAddress    = "127.0.0.1:9069"
	DefaultTFTPRoot      = "/srv/tftp"
	DefaultLeaseTime     = 12 * time.Hour
	DefaultDeclineHold   = 10 * time.Minute
	DefaultOfferHold     = 30 * time.Second
	DefaultMaxBlockSize  = 1468
	DefaultMaxWindowSize = 64
	DefaultMaxTransfers  = 256
	DefaultTFTPTimeout   = time.Second
	DefaultTFTPRetries   = 5
)

// On reports whether an optional switch is on; absent means on.
func On(b *bool) bool { return b == nil || *b }

// Line returns the line of the field at path ("hosts[1].mac"), or the
// nearest enclosing field's line, or 0 when unknown.
func (c *Config) Line(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// Parse decodes YAML strictly: an unknown or misspelt key is an error naming its line.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	c := &Config{File: file, lines: map[string]int{}}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	if len(root.Content) > 0 {
		recordLines(root.Content[0], "", c.lines)
	}
	c.ApplyDefaults()
	return c, nil
}

// SetLine records that the field at path ("hosts[1].mac") comes from that
// line of File, for Line and so for Validate's messages. Parse records the
// lines of YAML itself; a reader of another format (internal/dhcpdconf)
// calls SetLine for each field it sets.
func (c *Config) SetLine(path string, line int) {
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	c.lines[path] = line
}

// yamlError rewrites the YAML library's "line N: ..." messages as "FILE:N: ...".
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if asTypeError(err, &te) {
		var out []string
		for _, e := range te.Errors {
			out = append(out, fileLine(file, e))
		}
		return fmt.Errorf("%s", strings.Join(out, "\n"))
	}
	return fmt.Errorf("%s", fileLine(file, strings.TrimPrefix(msg, "yaml: ")))
}

func asTypeError(err error, te **yaml.TypeError) bool {
	t, ok := err.(*yaml.TypeError)
	if ok {
		*te = t
	}
	return ok
}

// fileLine turns "line 7: field foo not found in type config.Host" into "FILE:7: unknown key foo".
func fileLine(file, msg string) string {
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				if f, _, ok := strings.Cut(strings.TrimPrefix(tail, "field "), " not found in type"); ok && strings.HasPrefix(tail, "field ") {
					tail = "unknown key " + strconv.Quote(f)
				}
				return file + ":" + n + ": " + tail
			}
		}
	}
	return file + ": " + msg
}

func recordLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			lines[p] = k.Line
			recordLines(v, p, lines)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = v.Line
			recordLines(v, p, lines)
		}
	}
}

// ApplyDefaults fills the fields left empty with their defaults. Parse
// applies them; a reader of another format calls it once it has set what
// its file says.
func (c *Config) ApplyDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	c.hookDefaults()
	c.dnsUpdateDefaults()
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.DHCP.LeaseTime == 0 {
		c.DHCP.LeaseTime = Duration(DefaultLeaseTime)
	}
	if c.DHCP.DeclineHold == 0 {
		c.DHCP.DeclineHold = Duration(DefaultDeclineHold)
	}
	if c.DHCP.OfferHold == 0 {
		c.DHCP.OfferHold = Duration(DefaultOfferHold)
	}
	c.DHCP.Probe.applyDefaults()
	if c.TFTP.Root == "" {
		c.TFTP.Root = DefaultTFTPRoot
	}
	if c.HTTP.Address == "" {
		c.HTTP.Address = ":8080"
	}
	if c.Web.Address == "" {
		c.Web.Address = DefaultWebAddress
	}
	if c.TFTP.Address == "" {
		c.TFTP.Address = ":69"
	}
	if c.TFTP.MaxBlockSize == 0 {
		c.TFTP.MaxBlockSize = DefaultMaxBlockSize
	}
	if c.TFTP.MaxWindowSize == 0 {
		c.TFTP.MaxWindowSize = DefaultMaxWindowSize
	}
	if c.TFTP.MaxTransfers == 0 {
		c.TFTP.MaxTransfers = DefaultMaxTransfers
	}
	if c.TFTP.Timeout == 0 {
		c.TFTP.Timeout = Duration(DefaultTFTPTimeout)
	}
	if c.TFTP.Retries == 0 {
		c.TFTP.Retries = DefaultTFTPRetries
	}
}

// badValue reports a value the YAML decoder cannot take. As a *yaml.TypeError
// it lets decoding go on, so one Parse reports every bad value and unknown
// key in the file, not just the first.
func badValue(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// Duration is a time.Duration written as "12h", "90s" or a number of seconds.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if s, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
		if s > math.MaxInt64/int64(time.Second) || s < math.MinInt64/int64(time.Second) {
			return badValue(n, "%s seconds is too long a duration", n.Value)
		}
		*d = Duration(time.Duration(s) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return badValue(n, "%q is not a duration (like 12h, 30m, 90s)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the shortest form Go prints: "1h", not "1h0m0s".
func (d Duration) MarshalYAML() (any, error) {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s, nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Addr is an IPv4 address.
type Addr struct{ netip.Addr }

func (a *Addr) UnmarshalYAML(n *yaml.Node) error {
	v, err := netip.ParseAddr(n.Value)
	if err != nil || !v.Is4() {
		return badValue(n, "%q is not an IPv4 address", n.Value)
	}
	a.Addr = v
	return nil
}

func (a Addr) MarshalYAML() (any, error) { return a.String(), nil }

// UnmarshalText reads an IPv4 address (JSON, for the API).
func (a *Addr) UnmarshalText(b []byte) error {
	v, err := netip.ParseAddr(string(b))
	if err != nil || !v.Is4() {
		return fmt.Errorf("%q is not an IPv4 address", b)
	}
	a.Addr = v
	return nil
}

// Prefix is an IPv4 network such as 192.168.1.0/24.
type Prefix struct{ netip.Prefix }

func (p *Prefix) UnmarshalYAML(n *yaml.Node) error {
	v, err := netip.ParsePrefix(n.Value)
	if err != nil || !v.Addr().Is4() {
		return badValue(n, "%q is not an IPv4 network like 192.168.1.0/24", n.Value)
	}
	if v.Masked() != v {
		return badValue(n, "%q has host bits set; the network is %s", n.Value, v.Masked())
	}
	p.Prefix = v
	return nil
}

func (p Prefix) MarshalYAML() (any, error) { return p.String(), nil }

// Range is a pool as the YAML writes it, "FIRST-LAST": an inclusive address
// range, the lease.Range the allocator hands addresses out of.
type Range lease.Range

func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	a, b, ok := strings.Cut(n.Value, "-")
	first, err1 := netip.ParseAddr(strings.TrimSpace(a))
	last, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
		return badValue(n, "%q is not a range like 192.168.1.150-192.168.1.199", n.Value)
	}
	if last.Less(first) {
		return badValue(n, "range %q ends before it starts", n.Value)
	}
	r.First, r.Last = first, last
	return nil
}

func (r Range) MarshalYAML() (any, error) { return r.String(), nil }

func (r Range) String() string { return r.First.String() + "-" + r.Last.String() }

// Contains reports whether a lies in the range.
func (r Range) Contains(a netip.Addr) bool { return lease.Range(r).Contains(a) }

// MAC is an Ethernet hardware address.
type MAC struct{ net.HardwareAddr }

func (m *MAC) UnmarshalYAML(n *yaml.Node) error {
	v, err := net.ParseMAC(n.Value)
	if err != nil || len(v) != 6 {
		return badValue(n, "%q is not a MAC address like 00:18:e7:42:84:3a", n.Value)
	}
	m.HardwareAddr = v
	return nil
}

func (m MAC) MarshalYAML() (any, error) { return m.String(), nil }

// MarshalText writes the address as 00:18:e7:42:84:3a (JSON, for the API).
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a 6-byte Ethernet address (JSON, for the API).
func (m *MAC) UnmarshalText(b []byte) error {
	v, err := net.ParseMAC(string(b))
	if err != nil || len(v) != 6 {
		return fmt.Errorf("%q is not a MAC address like 00:18:e7:42:84:3a", b)
	}
	m.HardwareAddr = v
	return nil
}
