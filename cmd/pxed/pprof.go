//go:build pprof

package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// startProfiling serves Go's profiles (net/http/pprof) on the address in
// PXED_PPROF, in a binary built with -tags pprof only (bench/dhcp/run
// PXED_TAGS=pprof): the profiles are unauthenticated, so a release build
// has none, and the address is meant to be a loopback one.
func startProfiling() {
	addr := os.Getenv("PXED_PPROF")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		os.Stderr.WriteString("pxed: profiling not served: " + err.Error() + "\n")
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
}
