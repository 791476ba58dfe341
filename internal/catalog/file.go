package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pxed/pxed/internal/atomicfile"
	"github.com/pxed/pxed/internal/config"
)

// FileName is the catalog file in the data directory.
const FileName = "catalog.json"

// FileStore is the embedded Store: the whole State as one JSON file,
// replaced atomically on each change (atomicfile.WriteFile: a temporary
// file, fsync, rename over the old one, fsync of the directory), so that
// after a crash the file is either the old state or the new one, never a
// torn mix.
// Changes are rare (an operator's API call, an install callback, a new
// machine), and the state is small, so rewriting it whole is cheap.
type FileStore struct {
	path string

	mu    sync.Mutex
	state State
}

// OpenFile opens (or starts) the catalog file in dir.
func OpenFile(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	s := &FileStore{path: filepath.Join(dir, FileName)}
	data, err := os.ReadFile(s.path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, fmt.Errorf("reading catalog: %w", err)
	default:
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s.state); err != nil {
			return nil, fmt.Errorf("reading catalog %s: %w", s.path, err)
		}
	}
	return s, nil
}

// Load returns a copy of the stored state.
func (s *FileStore) Load(context.Context) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A deep copy through JSON: callers may not alias the store's slices.
	data, err := json.Marshal(s.state)
	if err != nil {
		return State{}, err
	}
	var out State
	if err := json.Unmarshal(data, &out); err != nil {
		return State{}, err
	}
	return out, nil
}

// change applies f to a copy of the state, writes it durably, and only
// then keeps it: a failed write leaves the store as it was.
func (s *FileStore) change(f func(st *State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.state
	next.Hosts = append([]config.Host(nil), s.state.Hosts...)
	next.Profiles = append([]config.Profile(nil), s.state.Profiles...)
	next.Rules = append([]config.Rule(nil), s.state.Rules...)
	next.Machines = append([]Machine(nil), s.state.Machines...)
	next.Installed = make(map[string]time.Time, len(s.state.Installed))
	for k, v := range s.state.Installed {
		next.Installed[k] = v
	}
	if err := f(&next); err != nil {
		return err
	}
	if err := s.write(next); err != nil {
		return err
	}
	s.state = next
	return nil
}

func (s *FileStore) write(st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	// The error names the file: "writing /var/lib/pxed/catalog.json: …".
	return atomicfile.WriteFile(s.path, append(data, '\n'), 0o600)
}

func (s *FileStore) PutHost(_ context.Context, h config.Host) error {
	return s.change(func(st *State) error {
		st.Hosts = putByName(st.Hosts, h, func(h config.Host) string { return h.Name })
		return nil
	})
}

func (s *FileStore) DeleteHost(_ context.Context, name string) error {
	return s.change(func(st *State) error {
		var ok bool
		st.Hosts, ok = deleteByName(st.Hosts, name, func(h config.Host) string { return h.Name })
		if !ok {
			return fmt.Errorf("host %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

func (s *FileStore) PutProfile(_ context.Context, p config.Profile) error {
	return s.change(func(st *State) error {
		st.Profiles = putByName(st.Profiles, p, func(p config.Profile) string { return p.Name })
		return nil
	})
}

func (s *FileStore) DeleteProfile(_ context.Context, name string) error {
	return s.change(func(st *State) error {
		var ok bool
		st.Profiles, ok = deleteByName(st.Profiles, name, func(p config.Profile) string { return p.Name })
		if !ok {
			return fmt.Errorf("profile %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

func (s *FileStore) PutRule(_ context.Context, r config.Rule) error {
	return s.change(func(st *State) error {
		st.Rules = putByName(st.Rules, r, ruleName)
		return nil
	})
}

func (s *FileStore) DeleteRule(_ context.Context, name string) error {
	return s.change(func(st *State) error {
		var ok bool
		st.Rules, ok = deleteByName(st.Rules, name, ruleName)
		if !ok {
			return fmt.Errorf("rule %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

func (s *FileStore) SetInstalled(_ context.Context, host string, at time.Time) error {
	return s.change(func(st *State) error {
		k := strings.ToLower(host)
		if at.IsZero() {
			delete(st.Installed, k)
		} else {
			st.Installed[k] = at.UTC()
		}
		return nil
	})
}

func (s *FileStore) PutMachine(_ context.Context, m Machine) error {
	return s.change(func(st *State) error {
		for i := range st.Machines {
			if bytes.Equal(st.Machines[i].MAC.HardwareAddr, m.MAC.HardwareAddr) {
				st.Machines[i] = m
				return nil
			}
		}
		st.Machines = append(st.Machines, m)
		return nil
	})
}

func (s *FileStore) DeleteMachine(_ context.Context, mac config.MAC) error {
	return s.change(func(st *State) error {
		for i := range st.Machines {
			if bytes.Equal(st.Machines[i].MAC.HardwareAddr, mac.HardwareAddr) {
				st.Machines = append(st.Machines[:i], st.Machines[i+1:]...)
				return nil
			}
		}
		return nil
	})
}

// Changes returns nil: only this process writes the file.
func (s *FileStore) Changes() <-chan struct{} { return nil }

// Close has nothing to flush: every change was synced when made.
func (s *FileStore) Close() error { return nil }

func putByName[T any](list []T, v T, name func(T) string) []T {
	for i := range list {
		if strings.EqualFold(name(list[i]), name(v)) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}

func deleteByName[T any](list []T, n string, name func(T) string) ([]T, bool) {
	for i := range list {
		if strings.EqualFold(name(list[i]), n) {
			return append(list[:i], list[i+1:]...), true
		}
	}
	return list, false
}
