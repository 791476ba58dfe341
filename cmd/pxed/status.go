package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/pxed/pxed/internal/web"
)

// status prints the machine table of a running pxed, or with a MAC the
// timeline of that machine's last boots.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("at most one MAC")}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	if !*asJSON {
		// A pxed serving one half of the boot (DHCP and files on two
		// servers) says what its timelines hold; a pxed before
		// /api/v1/scope, or serving both, says nothing.
		var sc web.Scope
		if err := c.do(ctx, "GET", "/api/v1/scope", nil, &sc); err == nil && sc.Note != "" {
			fmt.Fprintln(stdout, term(sc.Note))
		}
	}
	if fs.NArg() == 1 {
		var m web.MachineDetailJSON
		if err := c.do(ctx, "GET", "/api/v1/machines/"+url.PathEscape(fs.Arg(0)), nil, &m); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, m)
		}
		return printTimeline(stdout, m)
	}
	var list []web.MachineJSON
	if err := c.do(ctx, "GET", "/api/v1/machines", nil, &list); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, list)
	}
	return printMachines(stdout, list, time.Now())
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// term makes text from the network safe for a terminal: a host name a
// client sent may hold escape sequences, which are shown quoted instead of
// being obeyed.
func term(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

func printMachines(w io.Writer, list []web.MachineJSON, now time.Time) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no machine has asked yet")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAC\tHOST\tIP\tARCH\tPROFILE\tSTATE\tLAST SEEN")
	for _, m := range list {
		st := m.State
		if m.Failure != "" {
			st += ": " + m.Failure
		}
		if m.Install != "" {
			st += " (" + m.Install + ")"
		}
		host := m.Host
		if host != "" && !m.Known {
			host += " (discovered)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", term(m.MAC), term(host), orDash(addrs(m)), orDash(m.Arch),
			orDash(term(m.Profile)), term(st), ago(now.Sub(m.LastSeen)))
	}
	return tw.Flush()
}

// addrs is the machine's leased addresses, both of a dual-stack one, else
// the address it was seen with.
func addrs(m web.MachineJSON) string {
	if len(m.IPs) > 0 {
		return strings.Join(m.IPs, ",")
	}
	return m.IP
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func printTimeline(w io.Writer, m web.MachineDetailJSON) error {
	fmt.Fprintf(w, "%s  %s  %s  %s\n", term(m.MAC), orDash(term(m.Host)), orDash(addrs(m.MachineJSON)), term(m.State))
	for i, b := range m.Boots {
		title := "last boot"
		if i > 0 {
			title = "earlier boot"
		}
		fmt.Fprintf(w, "\n%s, %s", title, b.Start.Local().Format(time.DateTime))
		if b.Failure != "" {
			fmt.Fprintf(w, ": FAILED: %s", term(b.Failure))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range b.Steps {
			if s.Kind == "log" {
				// The line alone, in no column: a long one would widen
				// every step's.
				fmt.Fprintf(tw, "  +%.2fs\t%s\n", s.Time.Sub(b.Start).Seconds(), term(stepLine(s)))
				continue
			}
			fmt.Fprintf(tw, "  +%.2fs\t%s\t%s\t%s\n", s.Time.Sub(b.Start).Seconds(), term(stepLine(s)), result(s), size(s.Bytes))
		}
		tw.Flush()
	}
	return nil
}

// stepLine says what a step was.
func stepLine(s web.StepJSON) string {
	if s.Proto == "dhcp6" {
		return stepLine6(s)
	}
	switch s.Kind {
	case "file", "file failed":
		return strings.ToUpper(s.Proto) + " " + s.File
	case "log":
		// A line of the installer's log (syslog): what it said.
		return "log " + s.Detail
	case "BOOTREPLY":
		return "BOOTP reply " + s.IP
	case "OFFER", "ACK", "proxy OFFER", "proxy ACK":
		line := "DHCP " + s.Kind
		if s.IP != "" {
			line += " " + s.IP
		}
		return line
	}
	if s.Proto == "dhcp" {
		return "DHCP " + s.Kind
	}
	return s.Kind
}

// dhcp6Messages names a DHCPv6 step by its message (RFC 8415 §7.3): the
// timeline files a Solicit as a DISCOVER, an Advertise as an OFFER.
var dhcp6Messages = map[string]string{"DISCOVER": "Solicit", "OFFER": "Advertise", "REQUEST": "Request", "ACK": "Reply", "NAK": "Reply (refused)"}

// stepLine6 says what a DHCPv6 step was.
func stepLine6(s web.StepJSON) string {
	line := "DHCPv6 " + s.Kind
	if m, ok := dhcp6Messages[s.Kind]; ok {
		line = "DHCPv6 " + m
	}
	if s.IP != "" && (s.Kind == "OFFER" || s.Kind == "ACK") {
		line += " " + s.IP
	}
	return line
}

func result(s web.StepJSON) string {
	if s.Kind == "log" && s.Status == "ok" {
		return "" // a line of a log is no step that can go well or not
	}
	switch s.Status {
	case "fail":
		return "FAIL " + term(s.Reason)
	case "miss":
		return "miss (config search)"
	}
	if s.Retransmits > 0 {
		return fmt.Sprintf("ok, %d resent", s.Retransmits)
	}
	return "ok"
}

func size(n int64) string {
	switch {
	case n == 0:
		return ""
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// watch follows a running pxed's events live, a line per step, until
// interrupted. A follower that fell behind is dropped by pxed; watch then
// says so and follows again.
func watch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print each event as the API's JSON, one per line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	for {
		dropped, err := follow(ctx, c, func(msg web.StreamJSON) {
			if *asJSON {
				b, _ := json.Marshal(msg)
				fmt.Fprintf(stdout, "%s\n", b)
				return
			}
			fmt.Fprintln(stdout, watchLine(msg))
		})
		if ctx.Err() != nil {
			return nil // interrupted: the normal end
		}
		if err != nil {
			return err
		}
		if !dropped {
			return errors.New("pxed closed the event stream (stopped?)")
		}
		fmt.Fprintln(stderr, "pxed watch: fell behind and was dropped by pxed; following again (some events were missed)")
	}
}

func watchLine(msg web.StreamJSON) string {
	s := msg.Step
	who := msg.Machine.MAC
	if msg.Machine.Host != "" {
		who += " " + msg.Machine.Host
	}
	line := fmt.Sprintf("%s  %s  %s", s.Time.Local().Format("15:04:05.000"), who, stepLine(s))
	if r := result(s); r != "" {
		line += "  " + r
	}
	if s.Bytes > 0 {
		line += fmt.Sprintf("  %s in %.0f ms", size(s.Bytes), s.DurMS)
	}
	return term(line)
}

// follow reads one event stream to its end, calling f per step. It reports
// whether pxed ended it because this follower fell behind.
func follow(ctx context.Context, c *apiClient, f func(web.StreamJSON)) (dropped bool, err error) {
	body, err := c.stream(ctx, "/api/v1/events")
	if err != nil {
		return false, err
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			switch event {
			case "dropped":
				return true, nil
			case "step":
				var msg web.StreamJSON
				if err := json.Unmarshal([]byte(data), &msg); err != nil {
					return false, fmt.Errorf("decoding an event: %w", err)
				}
				f(msg)
			}
		case line == "":
			event = ""
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return false, fmt.Errorf("reading the event stream: %w", err)
	}
	return false, nil
}
