package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically and durably, replacing any file
// there. Once it returns nil, path holds data and keeps it across a crash.
// On an error path is as it was, except when only the final directory sync
// failed: path then holds data, which may not survive a crash, and the
// error says so. The file gets mode perm exactly (it is set with chmod, so
// the umask does not apply).
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// CreateTemp opens with O_EXCL and mode 0600: nobody reads the content
	// before it is complete, and two writers never share a temporary file.
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	if err := SyncDir(dir); err != nil {
		// Nothing to remove: tmp is path now.
		return fmt.Errorf("%s written, but the rename may not survive a crash: %w", path, err)
	}
	return nil
}

// SyncDir makes the entries of directory dir durable: a file created in it
// or renamed into it survives a crash once SyncDir returns nil (fsync of the
// directory, POSIX). Every failure is reported, closing included.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	return nil
}
