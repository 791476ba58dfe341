//go:build !unix

package bootfs

const openFlags = 0
