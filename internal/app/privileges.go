package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// dropPrivileges makes the process the user name, with that user's primary
// group and supplementary groups, for good. pxed calls it once every socket
// that needs root is open (ports 67, 69 and 4011, the packet socket of the
// DHCP replies, the ICMPv6 socket): open descriptors keep working, so no
// capability has to survive the switch. The directories in own (the data
// directory) are given to the user first, since the lease journal and the
// catalog write new files there and rename them over the old ones.
func dropPrivileges(log *slog.Logger, name string, own ...string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("dropping privileges: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("dropping privileges: user %s: %w", name, err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return fmt.Errorf("dropping privileges: groups of %s: %w", name, err)
	}
	gids := []int{gid}
	for _, s := range ids {
		if g, err := strconv.Atoi(s); err == nil && g != gid {
			gids = append(gids, g)
		}
	}
	for _, dir := range own {
		if err := chownDir(dir, uid, gid); err != nil {
			return fmt.Errorf("dropping privileges: giving %s to %s: %w", dir, name, err)
		}
	}
	// Groups first, while the process may still change them; the user
	// last, since it takes that right away. Go applies each to every
	// thread of the process.
	if err := syscall.Setgroups(gids); err != nil {
		return fmt.Errorf("dropping privileges: setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("dropping privileges: setgid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("dropping privileges: setuid %d: %w", uid, err)
	}
	// A process that could become root again would have dropped nothing.
	if uid != 0 && syscall.Setuid(0) == nil {
		return fmt.Errorf("dropping privileges: still able to become root after switching to %s", name)
	}
	// Nothing pxed might execute can gain privileges back (setuid
	// programs, file capabilities); pxed executes nothing.
	return noNewPrivs(log)
}

// chownDir gives dir and the entries directly in it to uid:gid; symbolic
// links themselves, not what they point to. A missing dir is left alone.
func chownDir(dir string, uid, gid int) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.Lchown(dir, uid, gid); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Lchown(filepath.Join(dir, e.Name()), uid, gid); err != nil {
			return err
		}
	}
	return nil
}
