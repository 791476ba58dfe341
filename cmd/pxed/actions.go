package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/user"
	"strings"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/web"
)

// adoptFlags are the flags of `pxed hosts adopt MAC`.
type adoptFlags struct {
	name, profile, ip, netboot string
}

func (f *adoptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "host name to give the machine (required)")
	fs.StringVar(&f.profile, "profile", "", "profile it boots")
	fs.StringVar(&f.ip, "ip", "", "address to reserve for it (default: one from the pool)")
	fs.StringVar(&f.netboot, "netboot", "", "always, once (install, then boot local) or never")
}

// isAction reports whether verb is one of `pxed hosts`' operator actions.
func isAction(verb string) bool {
	switch verb {
	case "adopt", "profile", "reinstall", "wake", "poweroff":
		return true
	}
	return false
}

// hostAction runs an operator action of `pxed hosts`: adopt MAC, poweroff
// MAC, profile NAME PROFILE, reinstall NAME, wake NAME. Each is recorded on the
// machine's timeline with who did it (the API's X-Pxed-Actor).
func hostAction(ctx context.Context, call *catalogCall, adopt adoptFlags) error {
	if call.name == "" {
		what := "a host name"
		if call.verb == "adopt" || call.verb == "poweroff" {
			what = "the MAC of a discovered machine"
		}
		return usageError{fmt.Errorf("hosts %s needs %s", call.verb, what)}
	}
	switch call.verb {
	case "adopt":
		if _, err := net.ParseMAC(call.name); err != nil {
			return usageError{fmt.Errorf("hosts adopt %s: %w", call.name, err)}
		}
		if adopt.name == "" {
			return usageError{errors.New("hosts adopt needs --name")}
		}
		body := web.AdoptRequest{Name: adopt.name, Profile: adopt.profile, IP: adopt.ip, Netboot: config.Netboot(adopt.netboot)}
		var h hostView
		if err := call.api.do(ctx, "POST", "/api/v1/discovered/"+url.PathEscape(call.name)+"/adopt", body, &h); err != nil {
			return err
		}
		return printOne(call, h, printHost)
	case "poweroff":
		if _, err := net.ParseMAC(call.name); err != nil {
			return usageError{fmt.Errorf("hosts poweroff %s: %w", call.name, err)}
		}
		var out web.PowerOffJSON
		if err := call.api.do(ctx, "POST", "/api/v1/discovered/"+url.PathEscape(call.name)+"/poweroff", nil, &out); err != nil {
			return err
		}
		return printOne(call, out, func(w io.Writer, out web.PowerOffJSON) error {
			_, err := fmt.Fprintf(w, "%s switches off at its discovery agent's next poll\n", out.MAC)
			return err
		})
	case "profile":
		if len(call.rest) != 1 {
			return usageError{errors.New("say hosts profile NAME PROFILE")}
		}
		var h hostView
		if err := call.api.do(ctx, "POST", hostPath(call.name)+"/profile", web.ProfileRequest{Profile: call.rest[0]}, &h); err != nil {
			return err
		}
		return printOne(call, h, printHost)
	case "reinstall":
		var out reinstallView
		if err := call.api.do(ctx, "POST", hostPath(call.name)+"/reinstall", nil, &out); err != nil {
			return err
		}
		return printOne(call, out, func(w io.Writer, out reinstallView) error {
			fmt.Fprintf(w, "%s boots its profile once more (netboot once, install record cleared)\n", out.Host.Name)
			if out.Wake != nil {
				fmt.Fprintf(w, "woken: magic packet for %s sent to %s\n", out.Wake.MAC, strings.Join(out.Wake.SentTo, ", "))
			} else {
				fmt.Fprintf(w, "not woken: %s\n", out.WakeError)
			}
			return nil
		})
	case "wake":
		var wj web.WakeJSON
		if err := call.api.do(ctx, "POST", hostPath(call.name)+"/wake", nil, &wj); err != nil {
			return err
		}
		return printOne(call, wj, func(w io.Writer, wj web.WakeJSON) error {
			_, err := fmt.Fprintf(w, "magic packet for %s sent to %s\n", wj.MAC, strings.Join(wj.SentTo, ", "))
			return err
		})
	}
	return usageError{fmt.Errorf("unknown hosts action %q", call.verb)}
}

// reinstallView is what a reinstall answers (web.ReinstallJSON).
type reinstallView struct {
	Host      hostView      `json:"host"`
	Wake      *web.WakeJSON `json:"wake,omitempty"`
	WakeError string        `json:"wake_error,omitempty"`
}

// printOne prints v as JSON with --json, else with text.
func printOne[T any](call *catalogCall, v T, text func(io.Writer, T) error) error {
	if call.asJSON {
		return printJSON(call.out, v)
	}
	return text(call.out, v)
}

// cliActor is who the CLI says acts, for the timeline: "cli" and the
// user's name.
func cliActor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); name == "" && err == nil {
		name = u.Username
	}
	if name == "" {
		return "cli"
	}
	return "cli " + name
}
