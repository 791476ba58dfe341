package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The usage text lists every command of the table but the hidden ones, and
// an unknown command gets it with exit status 2.
func TestUsageFromTable(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI("help")
	if code != 0 {
		t.Fatalf("pxed help: exit %d", code)
	}
	for _, c := range commands() {
		has := strings.Contains(out, "\n  pxed "+c.name+" ") || strings.Contains(out, "\n  pxed "+c.name+"\n")
		if has == c.hidden {
			t.Errorf("pxed help lists %s: %v, want %v:\n%s", c.name, has, !c.hidden, out)
		}
	}
	code, _, stderr := runCLI("nosuch")
	if code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) || !strings.Contains(stderr, "pxed check ") {
		t.Errorf("pxed nosuch: exit %d, stderr %q; want 2 and the usage text", code, stderr)
	}
	if code, out, _ := runCLI("--version"); code != 0 || !strings.HasPrefix(out, "pxed ") {
		t.Errorf("pxed --version: exit %d, %q", code, out)
	}
}

// bashComplete sources the script pxed completion bash prints and returns
// what its function offers for the words typed so far (the last one being
// completed), as bash would call it on TAB.
func bashComplete(t *testing.T, script string, words ...string) []string {
	t.Helper()
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
		strconv.Itoa(len(words)-1) + "\n_pxed\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	out, err := exec.Command("bash", "--norc", "--noprofile", "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

func TestBashCompletion(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash here")
	}
	code, script, stderr := runCLI("completion", "bash")
	if code != 0 {
		t.Fatalf("pxed completion bash: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"pxed", "se"}, "serve"},
		{[]string{"pxed", "pro"}, "profiles"},
		{[]string{"pxed", "check", "--t"}, "--tftp-root"},
		{[]string{"pxed", "serve", "--config", "x", "--log"}, "--log-level"},
		{[]string{"pxed", "hosts", "set", "web-1", "--re"}, "--reinstall"},
		{[]string{"pxed", "gen"}, ""}, // hidden
	} {
		got := strings.Join(bashComplete(t, script, tc.words...), " ")
		if got != tc.want {
			t.Errorf("bash completes %q to %q, want %q", strings.Join(tc.words, " "), got, tc.want)
		}
	}
}

// zsh reads the script as a completion function file; it must parse, and
// _pxed, called as zsh's completion system would, offers the flags.
func TestZshCompletion(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("zsh is not installed (scripts/deps installs it)")
	}
	code, script, stderr := runCLI("completion", "zsh")
	if code != 0 {
		t.Fatalf("pxed completion zsh: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(script, "#compdef pxed\n") {
		t.Errorf("zsh script does not start with #compdef pxed:\n%s", script)
	}
	file := filepath.Join(t.TempDir(), "_pxed")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("zsh", "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n _pxed: %v\n%s", err, out)
	}
	// Stand-ins for the completion system's builtins record what _pxed offers.
	prog := `compadd() { shift; print -r -- "$@" }
_files() { print files }
_describe() { print -r -- "${(@P)4}" }
source ` + file + ` >/dev/null 2>&1
words=(pxed check --) CURRENT=3 PREFIX=-- _pxed
words=(pxed ch) CURRENT=2 PREFIX=ch _pxed
`
	out, err := exec.Command("zsh", "-f", "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	check, _ := lookup("check")
	if len(lines) != 2 || lines[0] != strings.Join(check.flags(), " ") || !strings.Contains(lines[1], "check:validate a config") {
		t.Errorf("zsh _pxed offered:\n%s\nwant the flags of check, then the commands with their summaries", out)
	}
}

// The man page, rendered by man, has every command with its flags as a
// user can copy them (ASCII hyphens).
func TestManPage(t *testing.T) {
	t.Parallel()
	var roff bytes.Buffer
	if code := run(context.Background(), []string{"gen-man"}, &roff, os.Stderr); code != 0 {
		t.Fatalf("pxed gen-man: exit %d", code)
	}
	if !strings.HasPrefix(roff.String(), ".TH PXED 8 ") {
		t.Fatalf("man page does not start with .TH PXED 8:\n%s", roff.String())
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed: the page is not rendered")
	}
	file := filepath.Join(t.TempDir(), "pxed.8")
	if err := os.WriteFile(file, roff.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "--warnings", "-l", file)
	cmd.Env = append(os.Environ(), "MANWIDTH=200", "MAN_KEEP_FORMATTING=0", "LANG=C.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("man warns:\n%s", stderr.String())
	}
	text := stripOverstrike(string(out))
	for _, c := range commands() {
		if c.hidden {
			if strings.Contains(text, "pxed "+c.name) {
				t.Errorf("man page shows hidden command %s", c.name)
			}
			continue
		}
		if !strings.Contains(text, "pxed "+c.name) {
			t.Errorf("man page lacks pxed %s", c.name)
		}
		for _, f := range c.flags() {
			if !strings.Contains(text, f+" ") && !strings.Contains(text, f+"]") {
				t.Errorf("man page lacks %s of pxed %s", f, c.name)
			}
		}
	}
}

// stripOverstrike removes the backspace bold and underline of man's output.
func stripOverstrike(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i+1] == '\b' {
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// The flags each command's synopsis names are the flags it accepts: a
// flag added to a command but not to the table (or the other way round)
// would be missing from the usage, the man page and the completions.
func TestSynopsisNamesEveryFlag(t *testing.T) {
	t.Parallel()
	// The command lines whose -h prints the flags of each command: the
	// catalog commands' flags depend on the verb.
	probes := map[string][][]string{
		"hosts":    {{"list"}, {"set"}, {"adopt"}},
		"profiles": {{"list"}, {"set"}},
		"rules":    {{"list"}},
	}
	noFlagSet := map[string]bool{"completion": true, "version": true, "help": true, "gen-man": true}
	defined := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, c := range commands() {
		if noFlagSet[c.name] {
			if len(c.flags()) > 0 {
				t.Errorf("pxed %s names flags %v but has no flag set", c.name, c.flags())
			}
			continue
		}
		lines, ok := probes[c.name]
		if !ok {
			lines = [][]string{nil}
		}
		var got []string
		for _, l := range lines {
			code, stdout, stderr := runCLI(append(append([]string{c.name}, l...), "-h")...)
			if code != 0 {
				t.Errorf("pxed %s %s -h: exit %d: %s", c.name, strings.Join(l, " "), code, stderr)
			}
			for _, m := range defined.FindAllStringSubmatch(stdout+stderr, -1) {
				if !slices.Contains(got, "--"+m[1]) {
					got = append(got, "--"+m[1])
				}
			}
		}
		slices.Sort(got)
		want := c.flags()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("pxed %s accepts %v, its synopsis names %v", c.name, got, want)
		}
	}
}
