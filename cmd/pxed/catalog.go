package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
)

// hostView is a host as the API shows it.
type hostView struct {
	config.Host
	Source    string    `json:"source"`
	Installed time.Time `json:"installed,omitzero"`
}

type profileView struct {
	config.Profile
	Source string `json:"source"`
}

// hosts runs `pxed hosts list|show|set|rm|discovered`.
func hosts(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("say list, show NAME, set NAME [flags], rm NAME or discovered")}
	}
	verb, args := args[0], args[1:]
	name, args := leadingName(args)
	fs := flag.NewFlagSet("hosts "+verb, flag.ContinueOnError)
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	var edit hostEdit
	if verb == "set" {
		edit.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	needName := func() error {
		if name == "" {
			return usageError{fmt.Errorf("hosts %s needs a host name", verb)}
		}
		return nil
	}
	switch verb {
	case "list":
		return listHosts(ctx, c, stdout, *asJSON)
	case "show":
		if err := needName(); err != nil {
			return err
		}
		return showHost(ctx, c, name, stdout, *asJSON)
	case "set":
		if err := needName(); err != nil {
			return err
		}
		return setHost(ctx, c, name, edit, stdout)
	case "rm":
		if err := needName(); err != nil {
			return err
		}
		return c.do(ctx, "DELETE", hostPath(name), nil, nil)
	case "discovered":
		return listDiscovered(ctx, c, stdout, *asJSON)
	}
	return usageError{fmt.Errorf("unknown hosts command %q (list, show, set, rm, discovered)", verb)}
}

// hostPath is the API path of the host called name.
func hostPath(name string) string { return "/api/v1/hosts/" + url.PathEscape(name) }

// listHosts prints every host, one per line.
func listHosts(ctx context.Context, c *apiClient, stdout io.Writer, asJSON bool) error {
	var hs []hostView
	if err := c.do(ctx, "GET", "/api/v1/hosts", nil, &hs); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, hs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMATCH\tIP\tPROFILE\tNETBOOT\tSOURCE")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, matchOf(h.Host), orDash(ipOf(h.Host)), orDash(profileOf(h.Host)), netbootOf(h), h.Source)
	}
	return tw.Flush()
}

// showHost prints one host, a field per line.
func showHost(ctx context.Context, c *apiClient, name string, stdout io.Writer, asJSON bool) error {
	var h hostView
	if err := c.do(ctx, "GET", hostPath(name), nil, &h); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, h)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\nsource:\t%s\nmatch:\t%s\nip:\t%s\nprofile:\t%s\nnetboot:\t%s\n",
		h.Name, h.Source, matchOf(h.Host), orDash(ipOf(h.Host)), orDash(profileOf(h.Host)), netbootOf(h))
	for _, o := range h.Options {
		b, _ := json.Marshal(o)
		fmt.Fprintf(tw, "option:\t%s\n", b)
	}
	return tw.Flush()
}

// setHost changes the host called name as edit says, creating it if there
// is none, and prints the result.
func setHost(ctx context.Context, c *apiClient, name string, edit hostEdit, stdout io.Writer) error {
	path := hostPath(name)
	var cur hostView
	err := c.do(ctx, "GET", path, nil, &cur)
	if err != nil && !isNotFound(err) {
		return err
	}
	h := cur.Host
	h.Name = name
	if err := edit.apply(&h); err != nil {
		return usageError{err}
	}
	var out hostView
	if err := c.do(ctx, "PUT", path, h, &out); err != nil {
		return err
	}
	if edit.reinstall {
		if err := c.do(ctx, "DELETE", path+"/installed", nil, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "host %s: %s, profile %s, netboot %s\n", out.Name, matchOf(out.Host), orDash(profileOf(out.Host)), netbootOf(out))
	return nil
}

// listDiscovered prints the machines seen booting that no host matches.
func listDiscovered(ctx context.Context, c *apiClient, stdout io.Writer, asJSON bool) error {
	var ms []catalog.Machine
	if err := c.do(ctx, "GET", "/api/v1/discovered", nil, &ms); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, ms)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAC\tARCH\tUUID\tFIRST SEEN\tLAST SEEN")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.MAC, orDash(m.Arch), orDash(m.UUID),
			m.FirstSeen.Local().Format(time.DateTime), m.LastSeen.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

// hostEdit is what `pxed hosts set` was asked to change. For each field,
// "" keeps it and "-" (clearValue) clears it.
type hostEdit struct {
	mac, macs, uuid, ip, profile, netboot, file string
	// reinstall forgets the install callback after the change.
	reinstall bool
}

// clearValue, given to a flag of pxed hosts set, clears the field.
const clearValue = "-"

func (e *hostEdit) register(fs *flag.FlagSet) {
	fs.StringVar(&e.mac, "mac", "", "hardware address (\"\" keeps it; \"-\" removes it)")
	fs.StringVar(&e.macs, "macs", "", "comma-separated MACs or globs like 00:18:e7:* (\"-\" removes them)")
	fs.StringVar(&e.uuid, "uuid", "", "SMBIOS UUID (option 97) (\"-\" removes it)")
	fs.StringVar(&e.ip, "ip", "", "fixed IPv4 address (\"-\" removes it)")
	fs.StringVar(&e.profile, "profile", "", "profile to boot, or local (\"-\" removes it)")
	fs.StringVar(&e.netboot, "netboot", "", "always, once or never")
	fs.StringVar(&e.file, "file", "", "boot file for this host (\"-\" removes it)")
	fs.BoolVar(&e.reinstall, "reinstall", false, "forget the install callback: a netboot-once host installs again")
}

// apply changes the fields of h that the edit names.
func (e hostEdit) apply(h *config.Host) error {
	if err := e.applyMatch(h); err != nil {
		return err
	}
	if err := e.applyIP(h); err != nil {
		return err
	}
	if e.netboot != "" {
		h.Netboot = config.Netboot(e.netboot)
	}
	e.applyBoot(h)
	return nil
}

// applyMatch changes what recognises the host: MAC, MACs and globs, UUID.
func (e hostEdit) applyMatch(h *config.Host) error {
	switch e.mac {
	case "":
	case clearValue:
		h.MAC = config.MAC{}
	default:
		if err := h.MAC.UnmarshalText([]byte(e.mac)); err != nil {
			return err
		}
	}
	switch e.macs {
	case "":
	case clearValue:
		h.MACs = nil
	default:
		h.MACs = strings.Split(e.macs, ",")
	}
	switch e.uuid {
	case "":
	case clearValue:
		h.UUID = ""
	default:
		h.UUID = e.uuid
	}
	return nil
}

// applyIP changes the host's fixed address.
func (e hostEdit) applyIP(h *config.Host) error {
	switch e.ip {
	case "":
	case clearValue:
		h.IP = config.Addr{}
	default:
		a, err := netip.ParseAddr(e.ip)
		if err != nil || !a.Is4() {
			return fmt.Errorf("--ip %q is not an IPv4 address", e.ip)
		}
		h.IP = config.Addr{Addr: a}
	}
	return nil
}

// applyBoot changes the host's profile and boot file; a boot section left
// with nothing in it is removed.
func (e hostEdit) applyBoot(h *config.Host) {
	boot := func() *config.Boot {
		if h.Boot == nil {
			h.Boot = &config.Boot{}
		}
		return h.Boot
	}
	switch e.profile {
	case "":
	case clearValue:
		boot().Profile = ""
	default:
		boot().Profile = e.profile
	}
	switch e.file {
	case "":
	case clearValue:
		boot().File = ""
	default:
		boot().File = e.file
	}
	if b := h.Boot; b != nil && !b.NextServer.IsValid() && b.File == "" && len(b.Files) == 0 && b.Profile == "" {
		h.Boot = nil
	}
}

// profiles runs `pxed profiles list|show|set|rm`.
func profiles(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("say list, show NAME, set NAME [flags] or rm NAME")}
	}
	verb, args := args[0], args[1:]
	name, args := leadingName(args)
	fs := flag.NewFlagSet("profiles "+verb, flag.ContinueOnError)
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	var edit profileEdit
	if verb == "set" {
		edit.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	if verb != "list" && name == "" {
		return usageError{fmt.Errorf("profiles %s needs a profile name", verb)}
	}
	switch verb {
	case "list":
		return listProfiles(ctx, c, stdout, *asJSON)
	case "show":
		return showProfile(ctx, c, name, stdout, *asJSON)
	case "set":
		return setProfile(ctx, c, name, edit)
	case "rm":
		return c.do(ctx, "DELETE", profilePath(name), nil, nil)
	}
	return usageError{fmt.Errorf("unknown profiles command %q (list, show, set, rm)", verb)}
}

// profilePath is the API path of the profile called name.
func profilePath(name string) string { return "/api/v1/profiles/" + url.PathEscape(name) }

// listProfiles prints every profile, one per line.
func listProfiles(ctx context.Context, c *apiClient, stdout io.Writer, asJSON bool) error {
	var ps []profileView
	if err := c.do(ctx, "GET", "/api/v1/profiles", nil, &ps); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, ps)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKERNEL\tSOURCE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, orDash(p.Kernel), p.Source)
	}
	return tw.Flush()
}

// showProfile prints one profile, a field per line.
func showProfile(ctx context.Context, c *apiClient, name string, stdout io.Writer, asJSON bool) error {
	var p profileView
	if err := c.do(ctx, "GET", profilePath(name), nil, &p); err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, p)
	}
	fmt.Fprintf(stdout, "name:    %s\nsource:  %s\nkernel:  %s\ninitrd:  %s\ncmdline: %s\n",
		p.Name, p.Source, orDash(p.Kernel), orDash(strings.Join(p.Initrd, " ")), orDash(p.Cmdline))
	return nil
}

// setProfile changes the profile called name as edit says, creating it if
// there is none.
func setProfile(ctx context.Context, c *apiClient, name string, edit profileEdit) error {
	path := profilePath(name)
	var cur profileView
	if err := c.do(ctx, "GET", path, nil, &cur); err != nil && !isNotFound(err) {
		return err
	}
	p := cur.Profile
	p.Name = name
	edit.apply(&p)
	return c.do(ctx, "PUT", path, p, nil)
}

// profileEdit is what `pxed profiles set` was asked to change; a flag not
// given keeps its field.
type profileEdit struct {
	kernel, cmdline string
	initrd          multiFlag
}

func (e *profileEdit) register(fs *flag.FlagSet) {
	fs.StringVar(&e.kernel, "kernel", "", "kernel, a path under the TFTP root")
	fs.Var(&e.initrd, "initrd", "initrd, a path under the TFTP root (repeat for several, in order)")
	fs.StringVar(&e.cmdline, "cmdline", "", "kernel command line (a template: {{.Hostname}}, {{.CallbackURL}} …)")
}

func (e profileEdit) apply(p *config.Profile) {
	if e.kernel != "" {
		p.Kernel = e.kernel
	}
	if len(e.initrd) > 0 {
		p.Initrd = e.initrd
	}
	if e.cmdline != "" {
		p.Cmdline = e.cmdline
	}
}

// leadingName takes a NAME written before the flags.
func leadingName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func isNotFound(err error) bool { return err != nil && strings.Contains(err.Error(), "(HTTP 404)") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func matchOf(h config.Host) string {
	var parts []string
	if len(h.MAC.HardwareAddr) > 0 {
		parts = append(parts, h.MAC.String())
	}
	parts = append(parts, h.MACs...)
	if h.UUID != "" {
		parts = append(parts, "uuid "+strings.ToLower(h.UUID))
	}
	return orDash(strings.Join(parts, ","))
}

func ipOf(h config.Host) string {
	if h.IP.IsValid() {
		return h.IP.String()
	}
	return ""
}

func profileOf(h config.Host) string {
	if h.Boot != nil {
		return h.Boot.Profile
	}
	return ""
}

func netbootOf(h hostView) string {
	switch {
	case h.Netboot == config.NetbootOnce && !h.Installed.IsZero():
		return "once (installed " + h.Installed.Local().Format(time.DateTime) + ")"
	case h.Netboot == "":
		return string(config.NetbootAlways)
	}
	return string(h.Netboot)
}
