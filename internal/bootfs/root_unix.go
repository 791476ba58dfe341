//go:build unix

package bootfs

import "syscall"

// O_NOCTTY: a terminal device in the root never becomes pxed's controlling
// terminal.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
