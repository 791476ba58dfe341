package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/events"
)

// Hook tells another system of chosen events: a JSON document POSTed to a
// URL, or given to a command on its standard input, or both
// (docs/discovery.md, "Hooks"; internal/hook delivers them).
type Hook struct {
	Name string `yaml:"name"`
	// Events are the event names that fire the hook (events.Topic's
	// names: discovered, inventory, adopted, lease, boot, installed,
	// boot_failed, action); empty: all.
	Events []string `yaml:"events"`
	// URL receives each event as a JSON POST.
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of each POST.
	Secret string `yaml:"secret"`
	// Command runs once per event with the JSON on its standard input.
	Command []string `yaml:"command"`
	// Timeout bounds one delivery or one run of Command.
	Timeout Duration `yaml:"timeout"`
}

// Bounds of a hook's timeout: below the lower one no HTTPS handshake over
// a WAN finishes; above the upper one a hung receiver holds the hook's
// queue for longer than an operator would wait to be told of a boot.
const (
	DefaultHookTimeout = 10 * time.Second
	MinHookTimeout     = 100 * time.Millisecond
	MaxHookTimeout     = 10 * time.Minute
)

// Topics are the events that fire h; nil: all. Names that are no topic
// are left out (Validate reports them).
func (h *Hook) Topics() []events.Topic {
	if len(h.Events) == 0 {
		return nil
	}
	ts := make([]events.Topic, 0, len(h.Events))
	for _, n := range h.Events {
		if t, ok := events.ParseTopic(n); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

// hookDefaults gives each hook its default timeout.
func (c *Config) hookDefaults() {
	for i := range c.Hooks {
		if c.Hooks[i].Timeout == 0 {
			c.Hooks[i].Timeout = Duration(DefaultHookTimeout)
		}
	}
}

// hooks checks hooks[]: a unique name that can be a metric label, known
// event names, an http(s) URL or a command (or both), a secret only where
// there is a URL to sign for, a timeout within bounds.
func (v *validator) hooks() {
	seen := map[string]int{}
	for i := range v.c.Hooks {
		h := &v.c.Hooks[i]
		p := fmt.Sprintf("hooks[%d]", i)
		switch {
		case h.Name == "":
			v.add(p, "hook has no name: give it one (it labels the hook's metrics and log lines)")
		case !hookName(h.Name):
			v.add(p+".name", "hook name %q: use letters, digits, '-', '_' and '.' only", h.Name)
		}
		if h.Name != "" {
			key := strings.ToLower(h.Name)
			if j, dup := seen[key]; dup {
				v.add(p+".name", "hook name %q is taken by hooks[%d]%s", h.Name, j, v.at(fmt.Sprintf("hooks[%d].name", j)))
			} else {
				seen[key] = i
			}
		}
		for k, n := range h.Events {
			if _, ok := events.ParseTopic(n); !ok {
				v.add(fmt.Sprintf("%s.events[%d]", p, k), "hook %q: unknown event %q (events: %s)", h.Name, n, events.TopicNames())
			}
		}
		if h.URL == "" && len(h.Command) == 0 {
			v.add(p, "hook %q has neither url nor command: give it where to send events", h.Name)
		}
		if h.URL != "" {
			v.hookURL(p+".url", h)
		} else if h.Secret != "" {
			v.add(p+".secret", "hook %q has a secret but no url: the secret signs POSTs", h.Name)
		}
		if len(h.Command) > 0 && strings.TrimSpace(h.Command[0]) == "" {
			v.add(p+".command", "hook %q command has no program: its first word is the program to run", h.Name)
		}
		if d := h.Timeout.D(); d < MinHookTimeout || d > MaxHookTimeout {
			v.add(p+".timeout", "hook %q timeout %s is out of bounds: give %s to %s", h.Name, d, MinHookTimeout, MaxHookTimeout)
		}
	}
}

// hookURL checks that a hook's URL is one pxed can POST to.
func (v *validator) hookURL(path string, h *Hook) {
	u, err := url.Parse(h.URL)
	switch {
	case err != nil:
		v.add(path, "hook %q url: %v", h.Name, err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(path, "hook %q url %q: pxed POSTs over http or https only", h.Name, h.URL)
	case u.Host == "":
		v.add(path, "hook %q url %q has no host", h.Name, h.URL)
	case u.User != nil:
		// The config is readable by more than the receiver; a password
		// in a URL also ends up in log lines. The secret authenticates.
		v.add(path, "hook %q url carries a user name or password: authenticate with the secret instead", h.Name)
	}
}

// hookName reports whether s can name a hook: a metric label value and a
// word in log lines without quoting.
func hookName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
