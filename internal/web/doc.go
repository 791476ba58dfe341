// Package web is pxed's management side: the JSON API, the dashboard and
// /metrics, served on an address of their own (localhost by default), apart
// from the boot services that machines reach.
//
// Access is decided per route (see Access): reads are open only when the
// config says so, and every mutation needs the API token, compared in
// constant time. The token travels as "Authorization: Bearer TOKEN", or as
// the password of HTTP Basic authentication, so that a browser can open the
// dashboard (and its event stream, which cannot set headers) after one prompt.
package web
