// Package inflight keeps the file transfers running now: which file, to
// which client, how many bytes of how many are sent, since when. The TFTP
// and HTTP boot servers feed it through a Tracker interface each declares
// (they never import this package); the API lists it for the dashboard's
// progress bars. Memory is bounded: beyond Registry.Max running transfers,
// the next ones run untracked and are only counted.
package inflight
