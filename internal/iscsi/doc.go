// Package iscsi reads the iSCSI root path of RFC 4173 (§5),
//
//	iscsi:<servername>:<protocol>:<port>:<LUN>:<targetname>
//
// the URI a DHCP server gives in option 17 (root-path, RFC 2132 §3.19) and
// iPXE's sanboot and sanhook commands take, so that pxed can refuse a
// profile whose target a machine's iSCSI client would refuse. It is pure:
// a string in, a Target or the reason it is not one out.
package iscsi
