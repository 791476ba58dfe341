// Package dhcpdconf reads an ISC dhcpd.conf into a config.Config: the
// subset of dhcpd.conf(5) that PXE setups use, so that a network served by
// ISC dhcpd can move to pxed with its file as it is (pxed serve and pxed
// check take one wherever they take YAML; pxed convert prints the YAML).
//
// Reading has three steps, one file each: lex.go splits the file into
// tokens that carry their line; parse.go builds a tree of blocks (top
// level, subnet, group, host, class) and knows which statement may stand
// where; build.go maps the tree onto a Config with dhcpd's inheritance
// rules and records the line of every field (config.Config.SetLine), so
// that Validate names dhcpd.conf:LINE as it names the lines of YAML.
// Anything outside the subset is an error naming its line; the parser goes
// on to report the rest of the file. docs/dhcpd-conf.md lists the subset
// and how each statement maps.
package dhcpdconf
