package ramdisk

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// cache is the images built in Dir, by key. A key asked for while its
// image is being built waits for that build rather than starting another.
// The zero value is ready; Dir is cleaned on first use.
type cache struct {
	mu      sync.Mutex
	cleaned bool
	images  map[string]*image
}

type image struct {
	ready chan struct{} // closed when built or err is set
	built Built
	err   error
	used  time.Time
}

const defaultMaxImages = 8

func (c *cache) get(s *Service, l layout) (Built, error) {
	c.mu.Lock()
	if err := c.clean(s.Dir); err != nil {
		c.mu.Unlock()
		return Built{}, err
	}
	im, ok := c.images[l.key]
	if !ok {
		im = &image{ready: make(chan struct{})}
		c.images[l.key] = im
	}
	im.used = time.Now()
	c.mu.Unlock()
	if ok {
		<-im.ready
		return im.built, im.err
	}
	start := time.Now()
	im.built, im.err = Build(filepath.Join(s.Dir, l.key+".img"), l.entries, l.cfgPath, ConfigSlot)
	if im.err == nil {
		s.built(l, im.built, time.Since(start))
	}
	close(im.ready)
	c.mu.Lock()
	defer c.mu.Unlock()
	if im.err != nil {
		delete(c.images, l.key) // the next request tries again
		return Built{}, im.err
	}
	limit := s.MaxImages
	if limit <= 0 {
		limit = defaultMaxImages
	}
	c.evict(limit)
	return im.built, nil
}

// clean makes Dir and empties it, once: images of an earlier run are not
// known to this one. Called with c.mu held.
func (c *cache) clean(dir string) error {
	if c.cleaned {
		return nil
	}
	if dir == "" {
		return fmt.Errorf("no directory for RAM-disk images")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("image directory: %w", err)
	}
	for _, pat := range []string{"*.img", "*.img.*.tmp"} {
		old, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range old {
			os.Remove(f)
		}
	}
	c.images = map[string]*image{}
	c.cleaned = true
	return nil
}

// evict removes the least recently used built images over limit. A file
// being served stays readable until closed (its inode outlives the name).
// Called with c.mu held.
func (c *cache) evict(limit int) {
	for len(c.images) > limit {
		var oldest string
		for k, im := range c.images {
			select {
			case <-im.ready:
			default:
				continue // still building
			}
			if oldest == "" || im.used.Before(c.images[oldest].used) {
				oldest = k
			}
		}
		if oldest == "" {
			return
		}
		os.Remove(c.images[oldest].built.File)
		delete(c.images, oldest)
	}
}
