//go:build unix

package tftp

import "syscall"

const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
