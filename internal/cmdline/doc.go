// Package cmdline is the template language of a profile's kernel command
// line: the Facts about the booting machine it may name ({{.MAC}},
// {{.Hostname}} …), Expand to fill them in when a loader asks for its
// config, and Check to refuse a template at configuration time that would
// fail then. Both read the names from the Facts struct itself, so there is
// no second list to keep in step.
//
// internal/config calls Check while validating (pxed check, startup, and
// the catalog's check of every API change); internal/profile calls Expand
// while rendering. The package imports neither, so both may import it.
package cmdline
