// Command breakdown cuts the boots bench/boot/run recorded into the
// station's own time and the time it waited on the server, from each
// boot's capture on the lab bridge and the moment its serial console
// showed `Linux version`, and sets the server's share against the line
// rate the lab reached.
//
// Usage: breakdown [-mac MAC] [-rate BYTES_PER_S] DIR...
//
// Each DIR is one boot of bench/boot/run, named SERVER-N: DIR/boot.pcap,
// and DIR/result with t0= (QEMU started) and kernel= (`Linux version`), or
// for several stations at once mac.STATION= and kernel.STATION= lines.
// Without -rate, the line rate is the most any server sent any station in
// 0.1 s across all the boots given.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// boot is one station's boot, analysed.
type boot struct {
	server string // dnsmasq, pxed; with several stations "pxed station-01"
	name   string // dnsmasq-1, or dnsmasq-1/station-02
	bd     *Breakdown
}

func main() {
	mac := flag.String("mac", "", "the station's MAC address, when DIR/result names none")
	rate := flag.Float64("rate", 0, "line rate in bytes per second (default: the peak the boots reached)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: breakdown [-mac MAC] [-rate BYTES_PER_S] DIR...")
		os.Exit(2)
	}
	var boots []boot
	for _, dir := range flag.Args() {
		bs, err := load(dir, *mac)
		if err != nil {
			fmt.Fprintln(os.Stderr, "breakdown:", err)
			continue
		}
		boots = append(boots, bs...)
	}
	if len(boots) == 0 {
		fmt.Fprintln(os.Stderr, "breakdown: no boot to break down")
		os.Exit(1)
	}
	peak := 0.0
	for _, b := range boots {
		peak = max(peak, b.bd.PeakRate)
	}
	source := "given"
	if *rate <= 0 {
		*rate, source = peak, "the peak over 0.1 s that these boots reached"
	}
	report(os.Stdout, boots, *rate, peak, source)
}

// load reads one boot directory: one station, or each station the result
// file names.
func load(dir, mac string) ([]boot, error) {
	kv, err := readResult(filepath.Join(dir, "result"))
	if err != nil {
		return nil, err
	}
	t0, err := strconv.ParseFloat(kv["t0"], 64)
	if err != nil {
		return nil, fmt.Errorf("%s/result: t0: %w", dir, err)
	}
	base := filepath.Base(dir)
	server := base
	if i := strings.LastIndexByte(base, '-'); i > 0 {
		server = base[:i]
	}
	type station struct{ group, name, mac, kernel string }
	var stations []station
	for k, v := range kv {
		if name, ok := strings.CutPrefix(k, "mac."); ok {
			// With several machines at once, medians are per server and
			// station: the machines may not even share a firmware.
			stations = append(stations, station{server + " " + name, base + "/" + name, v, kv["kernel."+name]})
		}
	}
	sort.Slice(stations, func(i, j int) bool { return stations[i].name < stations[j].name })
	if len(stations) == 0 {
		if mac == "" {
			return nil, fmt.Errorf("%s/result names no station: give -mac", dir)
		}
		stations = []station{{server, base, mac, kv["kernel"]}}
	}
	var out []boot
	for _, s := range stations {
		if s.kernel == "" {
			return nil, fmt.Errorf("%s: %s never reached Linux version", dir, s.name)
		}
		tk, err := strconv.ParseFloat(s.kernel, 64)
		if err != nil {
			return nil, fmt.Errorf("%s/result: kernel: %w", dir, err)
		}
		hw, err := net.ParseMAC(s.mac)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		pkts, err := readCapture(filepath.Join(dir, "boot.pcap"), hw)
		if err != nil {
			return nil, err
		}
		bd, err := Attribute(pkts, t0, tk)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, boot{s.group, s.name, bd})
	}
	return out, nil
}

// readResult reads KEY=VALUE lines.
func readResult(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv, sc.Err()
}

// figures are one boot's summary, in seconds.
type figures struct {
	total, firmware, startup, turnaround, server, wire float64
}

func summarize(bd *Breakdown, rate float64) figures {
	return figures{
		total:      bd.Total,
		firmware:   bd.Sum[Firmware],
		startup:    bd.Sum[StartUp],
		turnaround: bd.Sum[Turnaround],
		server:     bd.Server(),
		wire:       float64(bd.Bytes) / rate,
	}
}

// share is the time the station waited on the server, wire included, of
// the whole boot: an upper bound on the server's part in it.
func (f figures) share() float64 { return f.server / f.total }

// limit is the boot with every byte at line rate and no waiting at all:
// the station's firmware and start-up time plus wire time.
func (f figures) limit() float64 { return f.firmware + f.startup + f.wire }

const header = "%-22s %6s %8s %8s %10s %7s %6s %7s %6s %6s\n"
const row = "%-22s %6.2f %8.2f %8.2f %10.2f %7.2f %6.2f %6.1f%% %6.2f %6.2f\n"

func report(w io.Writer, boots []boot, rate, peak float64, source string) {
	fmt.Fprintf(w, "Breakdown, seconds from power-on; wire = bytes the server sent at the line rate, %.1f MB/s (%s; these boots' peak: %.1f MB/s):\n", rate/1e6, source, peak/1e6)
	fmt.Fprintf(w, header, "boot", "total", "firmware", "start-up", "turnaround", "server", "wire", "share", "limit", "over")
	byServer := map[string][]figures{}
	var servers []string
	for _, b := range boots {
		f := summarize(b.bd, rate)
		if _, ok := byServer[b.server]; !ok {
			servers = append(servers, b.server)
		}
		byServer[b.server] = append(byServer[b.server], f)
		printRow(w, b.name, f)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Medians per server (each column its own median):")
	fmt.Fprintf(w, header, "server", "total", "firmware", "start-up", "turnaround", "server", "wire", "share", "limit", "over")
	for _, s := range servers {
		fs := byServer[s]
		col := func(get func(figures) float64) float64 {
			xs := make([]float64, len(fs))
			for i, f := range fs {
				xs[i] = get(f)
			}
			return median(xs)
		}
		fmt.Fprintf(w, row, s,
			col(func(f figures) float64 { return f.total }),
			col(func(f figures) float64 { return f.firmware }),
			col(func(f figures) float64 { return f.startup }),
			col(func(f figures) float64 { return f.turnaround }),
			col(func(f figures) float64 { return f.server }),
			col(func(f figures) float64 { return f.wire }),
			100*col(func(f figures) float64 { return f.share() }),
			col(func(f figures) float64 { return f.limit() }),
			col(func(f figures) float64 { return f.total - f.limit() }))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "firmware: power-on to the first DHCPDISCOVER. start-up: the station between exchanges and from the last")
	fmt.Fprintln(w, "packet to Linux version (loaders, kernel). turnaround: the station inside an exchange (its ACKs, DHCP timers).")
	fmt.Fprintln(w, "server: the station waiting for the server (replies, back-to-back sending, requests never answered,")
	fmt.Fprintln(w, "recovery: waits that end in the server resending what the station did not acknowledge);")
	fmt.Fprintln(w, "share = server / total, the server's part of the boot, wire time included. wire: the bytes the server")
	fmt.Fprintln(w, "sent, at line rate. limit = firmware + start-up + wire, the boot with no waiting at all; over = total - limit.")
	fmt.Fprintln(w)

	// The exchanges of each server's median boot.
	for _, s := range servers {
		var mine []boot
		for _, b := range boots {
			if b.server == s {
				mine = append(mine, b)
			}
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].bd.Total < mine[j].bd.Total })
		b := mine[(len(mine)-1)/2]
		fmt.Fprintf(w, "Exchanges of %s (the median boot of %s), seconds:\n", b.name, s)
		fmt.Fprintf(w, "%-34s %6s %6s %7s %8s %10s %6s %6s %10s %8s %6s\n", "exchange", "start", "end", "MB", "start-up", "turnaround", "reply", "stream", "unanswered", "recovery", "wire")
		for _, e := range b.bd.Exchanges {
			fmt.Fprintf(w, "%-34s %6.2f %6.2f %7.2f %8.3f %10.3f %6.3f %6.3f %10.3f %8.3f %6.3f\n",
				clip(e.Name, 34), e.Start, e.End, float64(e.Bytes)/1e6,
				e.Time[StartUp], e.Time[Turnaround], e.Time[Reply], e.Time[Stream], e.Time[Unanswered], e.Time[Recovery], float64(e.Bytes)/rate)
		}
		fmt.Fprintf(w, "%-34s %6.2f %6.2f %7s %8.3f\n", "kernel start (to Linux version)", b.bd.Total-b.bd.KernelStart, b.bd.Total, "", b.bd.KernelStart)
		fmt.Fprintln(w)
	}
}

func printRow(w io.Writer, name string, f figures) {
	fmt.Fprintf(w, row, clip(name, 22), f.total, f.firmware, f.startup, f.turnaround, f.server, f.wire, 100*f.share(), f.limit(), f.total-f.limit())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
