package main

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionText(t *testing.T) {
	checkout := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/pxed/pxed", Version: "v0.0.0-20261206201113-04e8e11a2b3c+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "-ldflags", Value: ""},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "04e8e11a2b3c4d5e6f708192a3b4c5d6e7f80912"},
			{Key: "vcs.time", Value: "2026-12-06T20:11:13Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{{
		name: "go install module@version: the module version, no commit",
		bi: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/pxed/pxed", Version: "v1.4.0", Sum: "h1:abc="},
		},
		want: "pxed v1.4.0\nbuilt with go1.26.8\n",
	}, {
		name: "built in a changed checkout",
		bi:   checkout,
		want: "pxed v0.0.0-20261206201113-04e8e11a2b3c+dirty\ncommit 04e8e11a2b3c4d5e6f708192a3b4c5d6e7f80912 (modified)\nbuilt with go1.26.8\n",
	}, {
		name:    "release build: -ldflags wins, the commit still shown",
		ldflags: "1.4.0",
		bi:      checkout,
		want:    "pxed 1.4.0\ncommit 04e8e11a2b3c4d5e6f708192a3b4c5d6e7f80912 (modified)\nbuilt with go1.26.8\n",
	}, {
		name: "checkout built without a module version: dev and the commit",
		bi: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/pxed/pxed", Version: "(devel)"},
			Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "04e8e11a2b3c4d5e6f708192a3b4c5d6e7f80912"}, {Key: "vcs.modified", Value: "false"}},
		},
		want: "pxed dev-04e8e11a2b3c\ncommit 04e8e11a2b3c4d5e6f708192a3b4c5d6e7f80912\nbuilt with go1.26.8\n",
	}, {
		name: "-buildvcs=false: nothing but the Go release",
		bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/pxed/pxed", Version: "(devel)"}},
		want: "pxed dev\nbuilt with go1.26.8\n",
	}, {
		name: "no build info",
		want: "pxed dev\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, versionText(tc.ldflags, tc.bi)); diff != "" {
				t.Errorf("versionText (-want +got):\n%s", diff)
			}
		})
	}
}
