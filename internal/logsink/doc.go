// Package logsink coalesces log lines into few writes. Serving code logs a
// line per DHCP reply and per transfer; writing each with its own write(2)
// costs as much as formatting it. A Sink hands lines to one flusher
// goroutine that writes everything queued since its last write in one call:
// when pxed is quiet each line is written at once, under load many lines
// share a write.
//
// Or gives a component that was given no logger one that drops its lines.
package logsink
