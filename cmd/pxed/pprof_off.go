//go:build !pprof

package main

// startProfiling does nothing: profiles are served by a binary built with
// -tags pprof only (pprof.go).
func startProfiling() {}
