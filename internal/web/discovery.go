package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/inventory"
)

// AgentPrefix is where the discovery agent's routes live: pxed serves them
// on the web address and on the HTTP boot server, which the machine
// reaches by design (as the install callback).
const AgentPrefix = "/api/v1/discovery/"

// maxInventory bounds an inventory report's body: a machine with hundreds
// of disks and NICs sends some tens of kilobytes.
const maxInventory = 1 << 20

// AgentReport is what the agent POSTs to AgentPrefix+"inventory".
type AgentReport struct {
	MAC       string              `json:"mac"`
	Inventory inventory.Inventory `json:"inventory"`
}

// AgentAnswer is what the agent is told, to the report and to each poll
// of AgentPrefix+"instruction?mac=…".
type AgentAnswer struct {
	Action catalog.Instruction `json:"action"`
	// Host is the host entry the machine was adopted as, when it was.
	Host string `json:"host,omitempty"`
}

// Agents answers the discovery agent: its inventory report and its polls
// for an instruction. Both carry the machine's agent token
// (catalog.AgentToken) as a bearer token: the API token is not on the
// machine, so the routes are Open to the API's guard and check their own.
// An accepted report is recorded to ev (InventoryReceived, and Adopted
// when a rule adopted the machine).
func Agents(c *catalog.Catalog, ev events.Recorder) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AgentPrefix+"inventory", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxInventory)
		var rep AgentReport
		if err := Decode(r, &rep); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
		mac, ok := agentAllowed(w, r, c, rep.MAC)
		if !ok {
			return
		}
		m, err := c.ReportInventory(r.Context(), mac, rep.Inventory)
		if err != nil {
			catalogError(w, err)
			return
		}
		if ev != nil {
			ip := remoteIP(r)
			ev.Record(events.Event{Kind: events.InventoryReceived, Proto: "http", MAC: mac, IP: ip, Host: m.Host, Detail: Summary(rep.Inventory)})
			if m.Rule != "" {
				ev.Record(events.Event{Kind: events.Adopted, Proto: "http", MAC: mac, IP: ip, Host: m.Host, Detail: "by rule " + m.Rule})
			}
		}
		JSON(w, http.StatusOK, answer(c, mac))
	})
	mux.HandleFunc("GET "+AgentPrefix+"instruction", func(w http.ResponseWriter, r *http.Request) {
		mac, ok := agentAllowed(w, r, c, r.URL.Query().Get("mac"))
		if !ok {
			return
		}
		// A rule made since the machine reported may adopt it now.
		m, adopted, err := c.AdoptWaiting(r.Context(), mac)
		if err != nil {
			catalogError(w, err)
			return
		}
		if adopted && ev != nil {
			ev.Record(events.Event{Kind: events.Adopted, Proto: "http", MAC: mac, IP: remoteIP(r), Host: m.Host, Detail: "by rule " + m.Rule})
		}
		JSON(w, http.StatusOK, answer(c, mac))
	})
	return mux
}

// answer is machine mac's instruction now.
func answer(c *catalog.Catalog, mac net.HardwareAddr) AgentAnswer {
	a := AgentAnswer{Action: c.Instruction(mac)}
	if h, ok := c.Snapshot().Match(mac, nil); ok {
		a.Host = h.Name
	}
	return a
}

// agentAllowed parses the machine's MAC and checks its agent token,
// answering the request itself when either is wrong.
func agentAllowed(w http.ResponseWriter, r *http.Request, c *catalog.Catalog, macText string) (net.HardwareAddr, bool) {
	mac, err := net.ParseMAC(macText)
	if err != nil || len(mac) != 6 {
		Error(w, http.StatusBadRequest, fmt.Sprintf("mac %q: not an Ethernet address", macText))
		return nil, false
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !c.CheckAgent(mac, tok) {
		Error(w, http.StatusForbidden, "wrong or missing agent token for "+mac.String())
		return nil, false
	}
	return mac, true
}

func remoteIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// Summary sums an inventory up in one line for a timeline:
// "QEMU Standard PC, serial PXED-1, bios, 2 CPUs, 1.5 GiB, 2 disks, 2 NICs".
func Summary(inv inventory.Inventory) string {
	var parts []string
	if id := strings.TrimSpace(inv.DMI.Vendor + " " + inv.DMI.Product); id != "" {
		parts = append(parts, id)
	}
	if inv.DMI.Serial != "" {
		parts = append(parts, "serial "+inv.DMI.Serial)
	}
	fw := inv.Firmware.Mode
	if inv.Firmware.SecureBoot {
		fw += " secure boot"
	}
	if fw != "" {
		parts = append(parts, fw)
	}
	parts = append(parts,
		fmt.Sprintf("%d CPUs", inv.CPU.Threads),
		fmt.Sprintf("%.1f GiB", float64(inv.MemoryBytes)/(1<<30)),
		fmt.Sprintf("%d disks", len(inv.Disks)),
		fmt.Sprintf("%d NICs", len(inv.NICs)))
	return strings.Join(parts, ", ")
}
