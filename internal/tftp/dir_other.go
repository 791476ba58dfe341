//go:build !unix

package tftp

const openFlags = 0
