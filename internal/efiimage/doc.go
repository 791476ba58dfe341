// Package efiimage reads what pxed needs to know of a UEFI boot program
// before handing it to firmware: the machine type in its PE/COFF header,
// and whether it carries an Authenticode signature (a non-empty PE
// certificate table), which UEFI Secure Boot requires of every image it
// starts (UEFI specification 2.10, §32.2 "Image Verification").
//
// It reads from an io.ReaderAt and does no other I/O: the caller opens the
// file. It checks that a signature is there, not that it is valid or that
// the firmware trusts its signer; only the firmware's db and dbx decide
// that.
package efiimage
