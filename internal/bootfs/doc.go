// Package bootfs is the boot root as boot loaders see it, whichever
// protocol they fetch with: a Request names a file and who asks for it, an
// Opener returns the File. The TFTP server (internal/tftp) and the HTTP
// boot server (internal/httpboot) both serve through one Opener, so both
// see the same files under the same confinement.
//
// Root opens the regular files under one directory through an os.Root, so
// that no name reaches outside it: not with ".." (or "..\"), not through a
// symlink that points out. Bytes serves generated content; Chain asks
// openers in order, falling through on fs.ErrNotExist, which is how the
// generated configs of internal/profile are placed in front of Root.
//
// Errors keep the io/fs kinds, which each protocol maps to its own answer:
// fs.ErrNotExist (TFTP error 1, HTTP 404) and fs.ErrPermission (TFTP error
// 2, HTTP 403).
package bootfs
