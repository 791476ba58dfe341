//go:build !linux

package rootimage

import "errors"

// mknodChar is Linux's only, in these tests.
func mknodChar(string, uint32, uint32, uint32) error {
	return errors.New("device nodes are made on Linux only in these tests")
}
