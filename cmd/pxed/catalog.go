package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/web"
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

// catalogCall is one command line of pxed hosts or pxed profiles:
// VERB [NAME] [flags], and the API it talks to.
type catalogCall struct {
	verb, name string
	// rest are the words after NAME (hosts profile NAME PROFILE).
	rest   []string
	api    *apiClient
	asJSON bool
	out    io.Writer
}

// parseCatalogCall reads VERB [NAME] [flags] of command cmd, the name before
// or after the flags; verbFlags registers the flags of the verb. It makes
// the API client the flags name.
func parseCatalogCall(cmd string, args []string, out, errOut io.Writer, verbFlags func(verb string, fs *flag.FlagSet)) (*catalogCall, error) {
	verb, args := args[0], args[1:]
	name, args := leadingName(args)
	// More words before the flags (hosts profile NAME PROFILE --api URL):
	// flag parsing would stop at the first.
	var lead []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		lead, args = append(lead, args[0]), args[1:]
	}
	fs := flag.NewFlagSet(cmd+" "+verb, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	verbFlags(verb, fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := append(lead, fs.Args()...)
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	c, err := af.client()
	if err != nil {
		return nil, err
	}
	return &catalogCall{verb: verb, name: name, rest: rest, api: c, asJSON: *asJSON, out: out}, nil
}

// getAndPrint GETs path and prints what comes back: as JSON with --json,
// else with text.
func getAndPrint[T any](ctx context.Context, call *catalogCall, path string, text func(io.Writer, T) error) error {
	var v T
	if err := call.api.do(ctx, "GET", path, nil, &v); err != nil {
		return err
	}
	if call.asJSON {
		return printJSON(call.out, v)
	}
	return text(call.out, v)
}

// hosts runs `pxed hosts list|show|set|rm|discovered`.
func hosts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("say list, show NAME, set NAME [flags], rm NAME, discovered, adopt MAC --name N, poweroff MAC, profile NAME PROFILE, reinstall NAME or wake NAME")}
	}
	var edit hostEdit
	var adopt adoptFlags
	call, err := parseCatalogCall("hosts", args, stdout, stderr, func(verb string, fs *flag.FlagSet) {
		switch verb {
		case "set":
			edit.register(fs)
		case "adopt":
			adopt.register(fs)
		}
	})
	if err != nil {
		return err
	}
	if isAction(call.verb) {
		return hostAction(ctx, call, adopt)
	}
	if call.name == "" && slices.Contains([]string{"show", "set", "rm"}, call.verb) {
		return usageError{fmt.Errorf("hosts %s needs a host name", call.verb)}
	}
	switch call.verb {
	case "list":
		return getAndPrint(ctx, call, "/api/v1/hosts", printHosts)
	case "show":
		return showHost(ctx, call)
	case "set":
		return setHost(ctx, call, edit)
	case "rm":
		return call.api.do(ctx, "DELETE", hostPath(call.name), nil, nil)
	case "discovered":
		return getAndPrint(ctx, call, "/api/v1/discovered", printDiscovered)
	}
	return usageError{fmt.Errorf("unknown hosts command %q (list, show, set, rm, discovered, adopt, profile, reinstall, wake)", call.verb)}
}

// hostPath is the API path of the host called name.
func hostPath(name string) string { return "/api/v1/hosts/" + url.PathEscape(name) }

// printHosts writes hosts as a table, one per line.
func printHosts(w io.Writer, hs []hostView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMATCH\tIP\tPROFILE\tNETBOOT\tSOURCE")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, matchOf(h.Host), orDash(ipOf(h.Host)), orDash(profileOf(h.Host)), netbootOf(h), h.Source)
	}
	return tw.Flush()
}

// printHost writes one host, a field per line.
func printHost(w io.Writer, h hostView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\nsource:\t%s\nmatch:\t%s\nip:\t%s\nprofile:\t%s\nnetboot:\t%s\n",
		h.Name, h.Source, matchOf(h.Host), orDash(ipOf(h.Host)), orDash(profileOf(h.Host)), netbootOf(h))
	for _, o := range h.Options {
		b, _ := json.Marshal(o)
		fmt.Fprintf(tw, "option:\t%s\n", b)
	}
	return tw.Flush()
}

// printDiscovered writes the machines seen booting that no host matches,
// with what their discovery boot reported.
func printDiscovered(w io.Writer, ms []catalog.Machine) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAC\tARCH\tUUID\tFIRST SEEN\tLAST SEEN\tHARDWARE")
	for _, m := range ms {
		hw := "-"
		if m.Inventory != nil {
			hw = web.Summary(*m.Inventory)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.MAC, orDash(m.Arch), orDash(m.UUID),
			m.FirstSeen.Local().Format(time.DateTime), m.LastSeen.Local().Format(time.DateTime), hw)
	}
	return tw.Flush()
}

// showHost prints a host and, when its machine's discovery boot reported,
// its hardware (with --json, the host as the API has it).
func showHost(ctx context.Context, call *catalogCall) error {
	var h hostView
	if err := call.api.do(ctx, "GET", hostPath(call.name), nil, &h); err != nil {
		return err
	}
	if call.asJSON {
		return printJSON(call.out, h)
	}
	if err := printHost(call.out, h); err != nil {
		return err
	}
	if len(h.MAC.HardwareAddr) == 0 {
		return nil
	}
	var m catalog.Machine
	if err := call.api.do(ctx, "GET", "/api/v1/inventory/"+h.MAC.String(), nil, &m); err != nil || m.Inventory == nil {
		return nil // no discovery boot reported for it
	}
	return printInventory(call.out, m)
}

// printInventory writes a machine's hardware, a field per line.
func printInventory(w io.Writer, m catalog.Machine) error {
	inv := m.Inventory
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if m.Rule != "" {
		fmt.Fprintf(tw, "rule:\t%s\n", m.Rule)
	}
	fmt.Fprintf(tw, "system:\t%s\nserial:\t%s\nsmbios uuid:\t%s\n",
		orDash(strings.TrimSpace(inv.DMI.Vendor+" "+inv.DMI.Product)), orDash(inv.DMI.Serial), orDash(inv.DMI.UUID))
	fw := inv.Firmware.Mode
	if inv.Firmware.SecureBoot {
		fw += ", Secure Boot on"
	}
	fmt.Fprintf(tw, "firmware:\t%s\ncpu:\t%s (%d sockets, %d cores, %d threads)\nmemory:\t%s\n",
		orDash(fw), orDash(inv.CPU.Model), inv.CPU.Sockets, inv.CPU.Cores, inv.CPU.Threads, capacity(inv.MemoryBytes))
	for _, d := range inv.Disks {
		kind := "ssd"
		if d.Rotational {
			kind = "rotational"
		}
		fmt.Fprintf(tw, "disk:\t%s %s %s %s serial %s\n", d.Name, capacity(d.SizeBytes), kind, orDash(d.Model), orDash(d.Serial))
	}
	for _, n := range inv.NICs {
		booted := ""
		if n.Booted {
			booted = " (booted)"
		}
		speed := "-"
		if n.SpeedMbps > 0 {
			speed = fmt.Sprintf("%d Mb/s", n.SpeedMbps)
		}
		fmt.Fprintf(tw, "nic:\t%s %s %s %s%s\n", n.Name, n.MAC, orDash(n.Driver), speed, booted)
	}
	return tw.Flush()
}

// capacity writes n bytes in binary units, for memory and disks: "1.5 GiB".
func capacity(n uint64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// setHost changes the host call names as edit says, creating it if there
// is none, and prints the result.
func setHost(ctx context.Context, call *catalogCall, edit hostEdit) error {
	path := hostPath(call.name)
	var cur hostView
	err := call.api.do(ctx, "GET", path, nil, &cur)
	if err != nil && !isNotFound(err) {
		return err
	}
	h := cur.Host
	h.Name = call.name
	if err := edit.apply(&h); err != nil {
		return usageError{err}
	}
	var out hostView
	if err := call.api.do(ctx, "PUT", path, h, &out); err != nil {
		return err
	}
	if edit.reinstall {
		if err := call.api.do(ctx, "DELETE", path+"/installed", nil, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(call.out, "host %s: %s, profile %s, netboot %s\n", out.Name, matchOf(out.Host), orDash(profileOf(out.Host)), netbootOf(out))
	return nil
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
func profiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("say list, show NAME, set NAME [flags] or rm NAME")}
	}
	var edit profileEdit
	call, err := parseCatalogCall("profiles", args, stdout, stderr, func(verb string, fs *flag.FlagSet) {
		if verb == "set" {
			edit.register(fs)
		}
	})
	if err != nil {
		return err
	}
	if call.verb != "list" && call.name == "" {
		return usageError{fmt.Errorf("profiles %s needs a profile name", call.verb)}
	}
	switch call.verb {
	case "list":
		return getAndPrint(ctx, call, "/api/v1/profiles", printProfiles)
	case "show":
		return getAndPrint(ctx, call, profilePath(call.name), printProfile)
	case "set":
		return setProfile(ctx, call, edit)
	case "rm":
		return call.api.do(ctx, "DELETE", profilePath(call.name), nil, nil)
	}
	return usageError{fmt.Errorf("unknown profiles command %q (list, show, set, rm)", call.verb)}
}

// profilePath is the API path of the profile called name.
func profilePath(name string) string { return "/api/v1/profiles/" + url.PathEscape(name) }

// printProfiles writes profiles as a table, one per line.
func printProfiles(w io.Writer, ps []profileView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKERNEL\tSOURCE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, orDash(p.Kernel), p.Source)
	}
	return tw.Flush()
}

// printProfile writes one profile, a field per line.
func printProfile(w io.Writer, p profileView) error {
	fmt.Fprintf(w, "name:    %s\nsource:  %s\nkernel:  %s\ninitrd:  %s\ncmdline: %s\n",
		p.Name, p.Source, orDash(p.Kernel), orDash(strings.Join(p.Initrd, " ")), orDash(p.Cmdline))
	if p.Console != "" {
		fmt.Fprintf(w, "console: %s\n", p.Console)
	}
	if p.SAN != nil {
		how := "sanboot"
		if p.SAN.Hook {
			how = "sanhook, then the kernel"
		}
		fmt.Fprintf(w, "san:     %s (%s)\n", p.SAN.Target, how)
	}
	if p.RootPath != "" {
		fmt.Fprintf(w, "root_path: %s\n", p.RootPath)
	}
	if p.Image != "" {
		fmt.Fprintf(w, "image:   %s", p.Image)
		if p.ImageCompression != "" {
			fmt.Fprintf(w, " (%s)", p.ImageCompression)
		}
		fmt.Fprintln(w)
	}
	for _, path := range slices.Sorted(maps.Keys(p.Overlay)) {
		fmt.Fprintf(w, "overlay %s: %q\n", path, p.Overlay[path])
	}
	// One line per architecture entry, in name order.
	for _, a := range slices.Sorted(maps.Keys(p.Arch)) {
		e := p.Arch[a]
		fmt.Fprintf(w, "arch %s: kernel %s initrd %s", a, orDash(e.Kernel), orDash(strings.Join(e.Initrd, " ")))
		if e.Console != "" {
			fmt.Fprintf(w, " console %s", e.Console)
		}
		if e.Cmdline != "" {
			fmt.Fprintf(w, " cmdline %s", e.Cmdline)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// setProfile changes the profile call names as edit says, creating it if
// there is none.
func setProfile(ctx context.Context, call *catalogCall, edit profileEdit) error {
	path := profilePath(call.name)
	var cur profileView
	if err := call.api.do(ctx, "GET", path, nil, &cur); err != nil && !isNotFound(err) {
		return err
	}
	p := cur.Profile
	p.Name = call.name
	edit.apply(&p)
	return call.api.do(ctx, "PUT", path, p, nil)
}

// profileEdit is what `pxed profiles set` was asked to change; a flag not
// given keeps its field.
type profileEdit struct {
	kernel, cmdline, rootPath string
	initrd                    multiFlag
	// sanTarget sets san.target ("-" removes the san section); sanHook,
	// when given, sets san.hook.
	sanTarget       string
	sanHook         *bool
	image, compress string
	overlay         multiFlag // PATH=TEMPLATE
}

func (e *profileEdit) register(fs *flag.FlagSet) {
	fs.StringVar(&e.kernel, "kernel", "", "kernel, a path under the TFTP root")
	fs.Var(&e.initrd, "initrd", "initrd, a path under the TFTP root (repeat for several, in order)")
	fs.StringVar(&e.cmdline, "cmdline", "", "kernel command line (a template: {{.Hostname}}, {{.CallbackURL}} …)")
	fs.StringVar(&e.sanTarget, "san-target", "", "boot an iSCSI target: an RFC 4173 root path template (iscsi:{{.Server}}::::iqn.…:{{.Hostname}}); - to remove")
	fs.Func("san-hook", "true: attach the iSCSI target, then boot the kernel (sanhook); false: boot the target (sanboot)", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, not %q", v)
		}
		e.sanHook = &b
		return nil
	})
	fs.StringVar(&e.rootPath, "root-path", "", "root path, DHCP option 17 and {{.RootPath}} (a template: {{.Server}}:/srv/diskless/root)")
	fs.StringVar(&e.image, "image", "", "root image run from RAM: a directory or tar archive on pxed's machine (\"-\" removes it)")
	fs.StringVar(&e.compress, "image-compression", "", "how the image is packed: zstd or gzip")
	fs.Var(&e.overlay, "overlay", "PATH=TEMPLATE, a file each machine gets over the image (repeat for several; replaces the overlay)")
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
	if e.rootPath != "" {
		p.RootPath = e.rootPath
	}
	switch e.image {
	case "":
	case "-":
		p.Image, p.ImageCompression, p.Overlay = "", "", nil
	default:
		p.Image = e.image
	}
	if e.compress != "" {
		p.ImageCompression = e.compress
	}
	if len(e.overlay) > 0 {
		p.Overlay = map[string]string{}
		for _, o := range e.overlay {
			path, tmpl, _ := strings.Cut(o, "=")
			p.Overlay[path] = tmpl
		}
	}
	if e.sanTarget == "-" {
		p.SAN = nil
		return
	}
	if e.sanTarget != "" || e.sanHook != nil {
		san := config.SAN{}
		if p.SAN != nil {
			san = *p.SAN
		}
		if e.sanTarget != "" {
			san.Target = e.sanTarget
		}
		if e.sanHook != nil {
			san.Hook = *e.sanHook
		}
		p.SAN = &san
	}
}

// leadingName takes a NAME written before the flags.
func leadingName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

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
