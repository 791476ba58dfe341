package config

import (
	"reflect"
	"slices"
	"strings"
)

// live are the fields a running pxed takes from a reloaded file (SIGHUP,
// `pxed reload`): what its servers read per request (the DHCP plans, the
// catalog's base, the rate limits, the TFTP root, the DNS updates). A
// field under one of these paths applies; any other that changed needs a restart, because it
// was used once, when pxed opened its sockets, its store or its servers.
// docs/config.md ("Reloading") lists the same; keep the two in step.
var live = []string{
	"dhcp.authoritative",
	"dhcp.lease_time",
	"dhcp.decline_hold",
	"dhcp.rate_per_mac",
	"dhcp.rate_global",
	"dhcp.trusted_relays",
	"dhcp.probe",
	"dhcp.subnets",
	"dhcp6.lease_time",
	"dhcp6.preference",
	"dhcp6.rapid_commit",
	"dhcp6.decline_hold",
	"dhcp6.subnets",
	"tftp.root",
	"boot",
	"hosts",
	"profiles",
	"discovery.rules",
	"dns_updates",
}

// Diff compares the running configuration old with new, read from the
// file again, field by field as the YAML names them ("http.address",
// "dhcp.subnets"). applies are the changed fields a reload takes (under
// live); needsRestart the changed fields it cannot take. Lists are compared
// whole: a changed host is "hosts".
func Diff(old, new *Config) (applies, needsRestart []string) {
	for _, path := range changed(reflect.ValueOf(*old), reflect.ValueOf(*new), "") {
		if isLive(path) {
			applies = append(applies, path)
		} else {
			needsRestart = append(needsRestart, path)
		}
	}
	return applies, needsRestart
}

func isLive(path string) bool {
	return slices.ContainsFunc(live, func(l string) bool { return path == l || strings.HasPrefix(path, l+".") })
}

// changed lists the YAML paths of the fields that differ between a and b,
// two values of one struct type: a section (a struct of YAML fields) is
// walked into, anything else (a list, an address, a pointer) compared whole.
func changed(a, b reflect.Value, prefix string) []string {
	var out []string
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		path := prefix + name
		fa, fb := a.Field(i), b.Field(i)
		if section(f.Type) {
			out = append(out, changed(fa, fb, path+".")...)
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			out = append(out, path)
		}
	}
	return out
}

// section reports whether t is a struct of named YAML fields (http, tls),
// as opposed to a value that reads as one scalar (Addr, Duration).
func section(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			return true
		}
	}
	return false
}
