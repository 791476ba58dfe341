//go:build linux

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/pxed/pxed/internal/inventory"
)

// Action is what the server tells a discovered machine to do.
type Action int

// The actions of the discovery protocol (docs/discovery.md).
const (
	Wait     Action = iota // stay up, ask again
	Reboot                 // boot again: the machine has been adopted
	Poweroff               // switch off
)

var actionNames = []string{Wait: "wait", Reboot: "reboot", Poweroff: "poweroff"}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// ParseAction reads an action's wire name.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q", s)
}

// Paths of the discovery API on the pxed server.
const (
	InventoryPath   = "/api/v1/discovery/inventory"
	InstructionPath = "/api/v1/discovery/instruction"
)

// Report is the body the agent posts to InventoryPath.
type Report struct {
	MAC       string              `json:"mac"`
	Inventory inventory.Inventory `json:"inventory"`
}

// Instruction is the server's answer to a report or a poll.
type Instruction struct {
	Action string `json:"action"`
}

// Client talks to the pxed server of a discovery boot.
type Client struct {
	Server *url.URL
	Token  string
	HTTP   *http.Client // http.DefaultClient when nil
}

// Report posts the inventory of the machine mac and returns what the
// server says to do.
func (c *Client) Report(ctx context.Context, mac net.HardwareAddr, inv inventory.Inventory) (Action, error) {
	body, err := json.Marshal(Report{MAC: mac.String(), Inventory: inv})
	if err != nil {
		return 0, err
	}
	return c.do(ctx, http.MethodPost, c.Server.JoinPath(InventoryPath).String(), bytes.NewReader(body))
}

// Poll asks the server what the machine mac is to do now.
func (c *Client) Poll(ctx context.Context, mac net.HardwareAddr) (Action, error) {
	u := c.Server.JoinPath(InstructionPath)
	u.RawQuery = url.Values{"mac": {mac.String()}}.Encode()
	return c.do(ctx, http.MethodGet, u.String(), nil)
}

func (c *Client) do(ctx context.Context, method, u string, body io.Reader) (Action, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, fmt.Errorf("%s %s: reading the answer: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, &StatusError{Code: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	var in Instruction
	if err := json.Unmarshal(data, &in); err != nil {
		return 0, fmt.Errorf("%s %s: the answer is not an instruction: %w", method, u, err)
	}
	return ParseAction(in.Action)
}

// StatusError is an answer other than 200 OK.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}
