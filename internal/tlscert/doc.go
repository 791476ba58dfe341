// Package tlscert gives the HTTPS side of pxed's HTTP boot server its
// identity: the operator's certificate, or a CA and a server certificate
// pxed makes and keeps under its data directory. It also encodes a CA as
// the EFI signature list that UEFI firmware enrolls as trusted (EDK2 reads
// it from the variable TlsCaCertificate, which OVMF fills from the fw_cfg
// file etc/edk2/https/cacerts).
//
// Firmware TLS is narrow, and these certificates are made for it: EDK2's
// TLS (OpenSSL built without elliptic curves) verifies RSA signatures only
// and offers no ECDHE, so the keys are RSA; it checks the URL's host
// against the certificate's names (an IP literal against IP SANs), so the
// server certificate names every address pxed may put in a boot URL; and
// it checks validity against the machine's clock, often wrong on a new
// machine, so NotBefore lies a day in the past.
package tlscert
