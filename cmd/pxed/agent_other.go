//go:build !linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// agentCmd: the discovery agent runs in the Linux initramfs of the
// discovery boot (internal/agent is Linux-only), never elsewhere.
func agentCmd(context.Context, []string, io.Writer) error {
	return fmt.Errorf("pxed agent runs only on Linux, in the discovery boot: %w", errors.ErrUnsupported)
}
