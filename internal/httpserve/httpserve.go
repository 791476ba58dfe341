package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long open requests may take to finish once ctx ends.
const ShutdownGrace = 5 * time.Second

// Serve serves hs on ln until ctx ends, then shuts it down, letting open
// requests finish for up to ShutdownGrace. It returns nil after a shutdown,
// or the error that stopped serving.
func Serve(ctx context.Context, hs *http.Server, ln net.Listener) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err // the caller's errgroup cancels ctx, which ends the goroutine
	}
	<-done // Shutdown has let the open requests finish
	return nil
}
