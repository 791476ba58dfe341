package rootimage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/pxed/pxed/internal/atomicfile"
	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/logsink"
)

// Built is a packed image in the cache directory.
type Built struct {
	File string // the compressed archive
	Size int64
	Key  string // the source's fingerprint it was packed from
	Dirs []string
}

// Cache packs images into Dir and keeps the latest of each source there,
// across restarts. Whether a source changed is checked when the image is
// asked for, at most once per CheckEvery; a changed source is packed anew
// into a temporary file renamed into place when complete, so that a reader
// sees the old image whole or the new one whole. Machines asking while a
// check or a pack runs wait for it (see Open). The zero value is not
// ready: Dir must be set. Close ends a pack under way and waits for it.
type Cache struct {
	Dir string
	// CheckEvery bounds how often a source is looked at (a stat for a
	// tar, a walk of its metadata for a directory); default 5 s.
	CheckEvery time.Duration
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger

	mu      sync.Mutex
	started bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	entries map[Source]*entry
}

// entry is one source's state. Guarded by Cache.mu.
type entry struct {
	cur     *Built        // the last complete image; nil before the first
	checked time.Time     // when the last check started
	busy    chan struct{} // closed when the running check (and pack) ends; nil when none runs
	err     error         // the last check's failure, when there is no image to fall back on
}

const defaultCheckEvery = 5 * time.Second

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// start makes Dir and removes temporary files a stopped pack left, once.
// Called with c.mu held.
func (c *Cache) start() error {
	if c.started {
		if c.ctx.Err() != nil {
			return errors.New("rootimage: cache closed")
		}
		return nil
	}
	if c.Dir == "" {
		return errors.New("rootimage: no cache directory")
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("root image cache: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(c.Dir, "*.tmp"))
	for _, f := range old {
		os.Remove(f)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.entries = map[Source]*entry{}
	c.started = true
	return nil
}

// Prepare starts checking src (and packing it if it changed) without
// waiting, if a check is due: a machine's config names the image a few
// seconds before its loader asks for it.
func (c *Cache) Prepare(src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.start() != nil {
		return
	}
	c.due(src)
}

// due starts a check of src if none runs and the last is CheckEvery old,
// and returns the entry. Called with c.mu held.
func (c *Cache) due(src Source) *entry {
	e := c.entries[src]
	if e == nil {
		e = &entry{}
		c.entries[src] = e
	}
	every := c.CheckEvery
	if every <= 0 {
		every = defaultCheckEvery
	}
	now := c.now()
	// A source that failed is looked at again no sooner than one that
	// packed: a broken archive is not packed again on every request.
	if e.busy == nil && (e.checked.IsZero() || now.Sub(e.checked) >= every || now.Before(e.checked)) {
		e.checked = now
		e.busy = make(chan struct{})
		c.wg.Add(1)
		go c.refresh(src, e)
	}
	return e
}

// Open returns src's current image, open: after waiting for a check or a
// pack that is under way (or due, which it starts). A failed pack leaves
// the last complete image in use; with none, Open returns the failure.
func (c *Cache) Open(ctx context.Context, src Source) (bootfs.File, *Built, error) {
	e, err := c.wait(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	defer c.mu.Unlock()
	// Opened under the lock: a newer image replaces this one, and
	// removes its file, only under it too. An open file outlives its name.
	f, err := os.Open(e.cur.File)
	if err != nil {
		return nil, nil, fmt.Errorf("opening root image: %w", err)
	}
	return &file{File: f, size: e.cur.Size}, e.cur, nil
}

// Current is src's current image, as Open finds it, not opened.
func (c *Cache) Current(ctx context.Context, src Source) (*Built, error) {
	e, err := c.wait(ctx, src)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	return e.cur, nil
}

// wait returns src's entry once no check or pack of it runs, with an
// image, and c.mu held; or an error, without it.
func (c *Cache) wait(ctx context.Context, src Source) (*entry, error) {
	c.mu.Lock()
	if err := c.start(); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	e := c.due(src)
	for e.busy != nil {
		busy := e.busy
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
	}
	if e.cur == nil {
		err := e.err
		c.mu.Unlock()
		return nil, err
	}
	return e, nil
}

// file is an image file as bootfs serves it.
type file struct {
	*os.File
	size int64
}

func (f *file) Size() int64 { return f.size }

// Close ends the packs under way and waits for them.
func (c *Cache) Close() error {
	c.mu.Lock()
	if !c.started {
		c.mu.Unlock()
		return nil
	}
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// refresh checks src and packs it when its fingerprint is not the current
// image's, then publishes the outcome and wakes the waiters.
func (c *Cache) refresh(src Source, e *entry) {
	defer c.wg.Done()
	c.mu.Lock()
	cur := e.cur
	c.mu.Unlock()
	b, err := c.build(src, cur)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil && cur != nil:
		logsink.Or(c.Logger).Warn("root image not rebuilt, still serving the last one", "image", src.Path, "file", cur.File, "error", err.Error())
	case err != nil:
		e.err = err
		logsink.Or(c.Logger).Warn("root image not built", "image", src.Path, "error", err.Error())
	case b != cur:
		e.cur, e.err = b, nil
		// The old image goes, and any an earlier run left: readers of
		// the old file keep it open until they end.
		c.removeOthers(src, b.File)
	}
	close(e.busy)
	e.busy = nil
}

// maxPasses bounds the packs of a source that changes while it is packed.
const maxPasses = 3

// build returns cur when src's fingerprint is still cur's, else the image
// of its fingerprint: found in Dir (packed by an earlier run), or packed
// now. A source changed during a pack is packed again: an image is never
// a mix of two states of its source.
func (c *Cache) build(src Source, cur *Built) (*Built, error) {
	for range maxPasses {
		key, kind, err := fingerprint(src)
		if err != nil {
			return nil, err
		}
		if cur != nil && cur.Key == key {
			return cur, nil
		}
		name := filepath.Join(c.Dir, src.id()+"-"+key+".cpio"+src.Compression.Ext())
		if b, ok := load(name, key); ok {
			return b, nil
		}
		start := c.now()
		packed, size, err := c.pack(src, kind, name)
		// The compressor's buffers are garbage now: give their memory
		// back at once rather than when the runtime's scavenger gets to
		// it, so that pxed serving the image holds only what serving
		// takes (docs/performance.md, "Diskless").
		debug.FreeOSMemory()
		if err != nil {
			return nil, err
		}
		after, _, err := fingerprint(src)
		if err != nil {
			return nil, err
		}
		if after != key {
			os.Remove(name)
			os.Remove(dirsFile(name))
			continue
		}
		b := &Built{File: name, Size: size, Key: key, Dirs: packed.Dirs}
		logsink.Or(c.Logger).Info("root image built", "image", src.Path, "kind", kind.String(), "file", name,
			"entries", packed.Files, "content_bytes", packed.Bytes, "bytes", size, "dur", c.now().Sub(start).Round(time.Millisecond))
		return b, nil
	}
	return nil, fmt.Errorf("%s changed during each of %d packs", src.Path, maxPasses)
}

// pack writes src's archive to a temporary file beside name, syncs it and
// renames it into place, its directory list beside it.
func (c *Cache) pack(src Source, kind Kind, name string) (Packed, int64, error) {
	tmp, err := os.CreateTemp(c.Dir, filepath.Base(name)+".*.tmp")
	if err != nil {
		return Packed{}, 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	bw := bufio.NewWriterSize(tmp, 1<<20)
	packed, err := Pack(c.ctx, bw, src.Path, kind, src.Compression)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	var size int64
	if fi, serr := tmp.Stat(); err == nil && serr == nil {
		size = fi.Size()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Packed{}, 0, fmt.Errorf("packing %s: %w", src.Path, err)
	}
	dirs, err := json.Marshal(packed.Dirs)
	if err != nil {
		return Packed{}, 0, err
	}
	if err := atomicfile.WriteFile(dirsFile(name), dirs, 0o600); err != nil {
		return Packed{}, 0, err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return Packed{}, 0, err
	}
	return packed, size, atomicfile.SyncDir(c.Dir)
}

// Prune removes from Dir the images of every source but keep's: those of
// profiles that were removed or now name another image, which no change
// of their own would replace. pxed calls it as it starts, with the images
// of the profiles it knows.
func (c *Cache) Prune(keep []Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.start() != nil {
		return
	}
	ids := map[string]bool{}
	for _, s := range keep {
		ids[s.id()] = true
	}
	for s := range c.entries {
		ids[s.id()] = true
	}
	files, _ := filepath.Glob(filepath.Join(c.Dir, "*-*.cpio*"))
	for _, f := range files {
		id, _, _ := strings.Cut(filepath.Base(f), "-")
		if !ids[id] {
			os.Remove(f)
		}
	}
}

// dirsFile keeps the directory list of image file name.
func dirsFile(name string) string { return name + ".dirs" }

// load finds an image an earlier run packed: the archive (renamed into
// place only when complete) and its directory list.
func load(name, key string) (*Built, bool) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, false
	}
	data, err := os.ReadFile(dirsFile(name))
	if err != nil {
		return nil, false
	}
	var dirs []string
	if json.Unmarshal(data, &dirs) != nil {
		return nil, false
	}
	return &Built{File: name, Size: fi.Size(), Key: key, Dirs: dirs}, true
}

// removeOthers removes the images of src other than keep. Called with
// c.mu held, once keep is published.
func (c *Cache) removeOthers(src Source, keep string) {
	old, _ := filepath.Glob(filepath.Join(c.Dir, src.id()+"-*"))
	for _, f := range old {
		if f != keep && f != dirsFile(keep) && !strings.HasSuffix(f, ".tmp") {
			os.Remove(f)
		}
	}
}

var _ io.ReaderAt = (*file)(nil)
