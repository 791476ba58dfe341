//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/pxed/pxed/internal/agent"
)

// agentRebootAfter is how long the agent, as PID 1, shows why it could not
// go on before it reboots the machine to try the discovery boot again.
const agentRebootAfter = 5 * time.Minute

// agentCmd runs the discovery agent. As PID 1 (the discovery initramfs's
// /init) it never returns: a fatal error or a panic would make the kernel
// panic ("Attempted to kill init"), so it says why, waits, and reboots.
// Run by hand it reports this machine's inventory and leaves it running.
func agentCmd(ctx context.Context, args []string, console io.Writer) error {
	fl := flag.NewFlagSet("agent", flag.ContinueOnError)
	fl.SetOutput(console)
	server := fl.String("server", "", "pxed's URL (default: pxed.server= on the kernel command line)")
	token := fl.String("token", "", "the discovery token (default: pxed.token=)")
	mac := fl.String("mac", "", "the MAC of the NIC to report as booted (default: pxed.mac=)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	a := &agent.Agent{Console: console, Sys: agent.Hosted{}}
	if *server != "" {
		u, err := url.Parse(*server)
		if err != nil {
			return fmt.Errorf("--server: %w", err)
		}
		hw, err := net.ParseMAC(*mac)
		if err != nil {
			return fmt.Errorf("--mac: %w", err)
		}
		a.Params = agent.Params{Server: u, Token: *token, MAC: hw}
	}
	if !agent.IsInit() {
		_, err := a.Run(ctx)
		if errors.Is(err, agent.ErrHosted) {
			return nil
		}
		return err
	}
	a.Sys = agent.Machine{}
	for {
		err := runInit(ctx, a)
		a.Say("cannot go on: %v", err)
		a.Say("rebooting in %s", agentRebootAfter)
		time.Sleep(agentRebootAfter)
		if err := (agent.Machine{}).Halt(agent.Reboot); err != nil {
			a.Say("reboot: %v", err)
		}
	}
}

// runInit runs the agent once, turning a panic into an error.
func runInit(ctx context.Context, a *agent.Agent) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	_, err = a.Run(ctx)
	if err == nil {
		err = errors.New("the agent stopped")
	}
	return err
}
