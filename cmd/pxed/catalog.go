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
	var set struct {
		mac, macs, uuid, ip, profile, netboot, file string
		reinstall                                   bool
	}
	if verb == "set" {
		fs.StringVar(&set.mac, "mac", "", "hardware address (\"\" keeps it; \"-\" removes it)")
		fs.StringVar(&set.macs, "macs", "", "comma-separated MACs or globs like 00:18:e7:* (\"-\" removes them)")
		fs.StringVar(&set.uuid, "uuid", "", "SMBIOS UUID (option 97) (\"-\" removes it)")
		fs.StringVar(&set.ip, "ip", "", "fixed IPv4 address (\"-\" removes it)")
		fs.StringVar(&set.profile, "profile", "", "profile to boot, or local (\"-\" removes it)")
		fs.StringVar(&set.netboot, "netboot", "", "always, once or never")
		fs.StringVar(&set.file, "file", "", "boot file for this host (\"-\" removes it)")
		fs.BoolVar(&set.reinstall, "reinstall", false, "forget the install callback: a netboot-once host installs again")
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
	path := "/api/v1/hosts/" + url.PathEscape(name)
	needName := func() error {
		if name == "" {
			return usageError{fmt.Errorf("hosts %s needs a host name", verb)}
		}
		return nil
	}
	switch verb {
	case "list":
		var hs []hostView
		if err := c.do(ctx, "GET", "/api/v1/hosts", nil, &hs); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, hs)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tMATCH\tIP\tPROFILE\tNETBOOT\tSOURCE")
		for _, h := range hs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, matchOf(h.Host), orDash(ipOf(h.Host)), orDash(profileOf(h.Host)), netbootOf(h), h.Source)
		}
		return tw.Flush()
	case "show":
		if err := needName(); err != nil {
			return err
		}
		var h hostView
		if err := c.do(ctx, "GET", path, nil, &h); err != nil {
			return err
		}
		if *asJSON {
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
	case "set":
		if err := needName(); err != nil {
			return err
		}
		var cur hostView
		err := c.do(ctx, "GET", path, nil, &cur)
		if err != nil && !isNotFound(err) {
			return err
		}
		h := cur.Host
		h.Name = name
		if err := applySet(&h, set.mac, set.macs, set.uuid, set.ip, set.profile, set.netboot, set.file); err != nil {
			return usageError{err}
		}
		var out hostView
		if err := c.do(ctx, "PUT", path, h, &out); err != nil {
			return err
		}
		if set.reinstall {
			if err := c.do(ctx, "DELETE", path+"/installed", nil, nil); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "host %s: %s, profile %s, netboot %s\n", out.Name, matchOf(out.Host), orDash(profileOf(out.Host)), netbootOf(out))
		return nil
	case "rm":
		if err := needName(); err != nil {
			return err
		}
		return c.do(ctx, "DELETE", path, nil, nil)
	case "discovered":
		var ms []catalog.Machine
		if err := c.do(ctx, "GET", "/api/v1/discovered", nil, &ms); err != nil {
			return err
		}
		if *asJSON {
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
	return usageError{fmt.Errorf("unknown hosts command %q (list, show, set, rm, discovered)", verb)}
}

// applySet changes the fields of h that pxed hosts set was given: "" keeps
// a field, "-" clears it.
func applySet(h *config.Host, mac, macs, uuid, ip, profile, netboot, file string) error {
	clear := func(v string) bool { return v == "-" }
	switch {
	case clear(mac):
		h.MAC = config.MAC{}
	case mac != "":
		if err := h.MAC.UnmarshalText([]byte(mac)); err != nil {
			return err
		}
	}
	switch {
	case clear(macs):
		h.MACs = nil
	case macs != "":
		h.MACs = strings.Split(macs, ",")
	}
	switch {
	case clear(uuid):
		h.UUID = ""
	case uuid != "":
		h.UUID = uuid
	}
	switch {
	case clear(ip):
		h.IP = config.Addr{}
	case ip != "":
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return fmt.Errorf("--ip %q is not an IPv4 address", ip)
		}
		h.IP = config.Addr{Addr: a}
	}
	if netboot != "" {
		h.Netboot = config.Netboot(netboot)
	}
	boot := func() *config.Boot {
		if h.Boot == nil {
			h.Boot = &config.Boot{}
		}
		return h.Boot
	}
	switch {
	case clear(profile):
		boot().Profile = ""
	case profile != "":
		boot().Profile = profile
	}
	switch {
	case clear(file):
		boot().File = ""
	case file != "":
		boot().File = file
	}
	if b := h.Boot; b != nil && !b.NextServer.IsValid() && b.File == "" && len(b.Files) == 0 && b.Profile == "" {
		h.Boot = nil
	}
	return nil
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
	var kernel, cmdline string
	var initrd multiFlag
	if verb == "set" {
		fs.StringVar(&kernel, "kernel", "", "kernel, a path under the TFTP root")
		fs.Var(&initrd, "initrd", "initrd, a path under the TFTP root (repeat for several, in order)")
		fs.StringVar(&cmdline, "cmdline", "", "kernel command line (a template: {{.Hostname}}, {{.CallbackURL}} …)")
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
	path := "/api/v1/profiles/" + url.PathEscape(name)
	if verb != "list" && name == "" {
		return usageError{fmt.Errorf("profiles %s needs a profile name", verb)}
	}
	switch verb {
	case "list":
		var ps []profileView
		if err := c.do(ctx, "GET", "/api/v1/profiles", nil, &ps); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, ps)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKERNEL\tSOURCE")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, orDash(p.Kernel), p.Source)
		}
		return tw.Flush()
	case "show":
		var p profileView
		if err := c.do(ctx, "GET", path, nil, &p); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, p)
		}
		fmt.Fprintf(stdout, "name:    %s\nsource:  %s\nkernel:  %s\ninitrd:  %s\ncmdline: %s\n",
			p.Name, p.Source, orDash(p.Kernel), orDash(strings.Join(p.Initrd, " ")), orDash(p.Cmdline))
		return nil
	case "set":
		var cur profileView
		if err := c.do(ctx, "GET", path, nil, &cur); err != nil && !isNotFound(err) {
			return err
		}
		p := cur.Profile
		p.Name = name
		if kernel != "" {
			p.Kernel = kernel
		}
		if len(initrd) > 0 {
			p.Initrd = initrd
		}
		if cmdline != "" {
			p.Cmdline = cmdline
		}
		return c.do(ctx, "PUT", path, p, nil)
	case "rm":
		return c.do(ctx, "DELETE", path, nil, nil)
	}
	return usageError{fmt.Errorf("unknown profiles command %q (list, show, set, rm)", verb)}
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
