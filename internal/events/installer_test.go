package events

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInstallerLinesKeepTheBoot: an installer that floods its machine's
// timeline with log lines leaves the boot's steps in it; the machine keeps
// its last InstallerLines lines, in time order among the steps.
func TestInstallerLinesKeepTheBoot(t *testing.T) {
	g := NewLog(Limits{PerMachine: 32, InstallerLines: 8})
	labBoot(g, 0)
	steps := len(g.Events(mac.String()))
	for i := range 10000 {
		g.Record(Event{Time: at(30 + float64(i)/100), MAC: mac, IP: ip, Kind: InstallerLog, Proto: "syslog",
			Detail: fmt.Sprintf("anna[1]: line %d", i)})
	}
	evs := g.Events(mac.String())
	var lines []string
	kept := 0
	for i, e := range evs {
		if i > 0 && e.Time.Before(evs[i-1].Time) {
			t.Errorf("event %d (%s at %v) before the one ahead of it (%v)", i, e.Kind, e.Time, evs[i-1].Time)
		}
		if e.Kind == InstallerLog {
			lines = append(lines, e.Detail)
		} else {
			kept++
		}
	}
	if kept != steps {
		t.Errorf("%d boot steps kept after the flood, want all %d", kept, steps)
	}
	var want []string
	for i := 9992; i < 10000; i++ {
		want = append(want, fmt.Sprintf("anna[1]: line %d", i))
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("installer lines kept (-want +got):\n%s", diff)
	}
	// The boot still reads as one that reached its initrd, the lines on it.
	boots := g.Boots(mac.String(), 5)
	if len(boots) != 1 {
		t.Fatalf("%d boots, want 1", len(boots))
	}
	if got := boots[0].Steps[len(boots[0].Steps)-1]; got.Kind != InstallerLog || got.Detail != "anna[1]: line 9999" {
		t.Errorf("last step %s %q, want the last installer line", got.Kind, got.Detail)
	}
	if s, _ := g.Summary(mac.String()); s.State != "initrd sent" {
		t.Errorf("state %q, want %q", s.State, "initrd sent")
	}
}
