//go:build !linux

package app

import (
	"errors"
	"fmt"
	"log/slog"
)

// noNewPrivs has no equivalent pxed knows how to set off Linux, where
// pxed does not serve anyway (see Run).
func noNewPrivs(*slog.Logger) error {
	return fmt.Errorf("dropping privileges: no_new_privs: %w", errors.ErrUnsupported)
}
