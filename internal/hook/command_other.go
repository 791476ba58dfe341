//go:build !unix

package hook

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, the cancellation
// kills the command alone.
func ownGroup(*exec.Cmd) {}
