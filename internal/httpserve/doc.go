// Package httpserve runs an http.Server for as long as a context lives: the
// one lifecycle that pxed's HTTP servers (the boot server and the
// management server) share.
package httpserve
