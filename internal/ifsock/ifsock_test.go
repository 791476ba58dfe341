package ifsock

import (
	"errors"
	"slices"
	"testing"
)

// TestOpenEach: every interface is opened in order; when one fails, those
// already open are closed and none is returned.
func TestOpenEach(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		names      []string
		fail       string
		wantOpen   []string
		wantClosed []string
	}{
		{names: []string{"br0", "br1", "br2"}, wantOpen: []string{"br0", "br1", "br2"}},
		{names: []string{"br0", "br1", "br2"}, fail: "br2", wantClosed: []string{"br0", "br1"}},
		{names: []string{"br0", "br1"}, fail: "br0"},
	} {
		var closed []string
		errOpen := errors.New("no such interface")
		open := func(name string) (string, error) {
			if name == c.fail {
				return "", errOpen
			}
			return name, nil
		}
		got, err := OpenEach(c.names, open, func(l string) { closed = append(closed, l) })
		if c.fail != "" && !errors.Is(err, errOpen) {
			t.Errorf("%v failing on %s: error %v, want the open error", c.names, c.fail, err)
		}
		if c.fail == "" && err != nil {
			t.Errorf("%v: %v", c.names, err)
		}
		if !slices.Equal(got, c.wantOpen) || !slices.Equal(closed, c.wantClosed) {
			t.Errorf("%v failing on %q: open %v, closed %v; want open %v, closed %v", c.names, c.fail, got, closed, c.wantOpen, c.wantClosed)
		}
	}
}
