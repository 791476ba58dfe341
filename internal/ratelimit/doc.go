// Package ratelimit bounds how fast pxed's DHCP servers (DHCPv4 and
// DHCPv6) answer: a token bucket per client in bounded memory, and one
// shared bucket for all unknown clients together. Both are checked before
// a packet is parsed, so a flood costs little more than its reads.
package ratelimit
