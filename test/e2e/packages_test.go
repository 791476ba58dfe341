//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pkgFile is one path the pxed package installs, as ls -l would show it.
type pkgFile struct {
	path  string
	mode  fs.FileMode // permission bits, and fs.ModeDir for a directory
	owner string      // user:group
}

// TestPackages builds the packages with `make packages`, installs the .deb
// on this machine with dpkg as an administrator would, and checks what it
// installed: every file with its owner and mode, the pxed user, the data
// directory, the unit (systemd-analyze verify) and the config (the
// installed pxed check). The installed binary then serves DHCP in a lab
// namespace as the pxed user, as the unit runs it, and a real client gets
// a lease. Removing the package keeps the leases and the edited config;
// purging removes them. The .rpm holds the same files and scripts.
// The package is purged at the end whatever happens.
func TestPackages(t *testing.T) {
	requireRoot(t)
	requireTools(t, "make", "dpkg", "dpkg-query", "rpm", "setpriv", "busybox")
	refuseToClobber(t)

	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	mk := exec.Command("make", "--no-print-directory", "packages", "PKGDIR="+out)
	mk.Dir = root
	mk.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/local/go/bin")
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make packages: %v\n%s", err, b)
	}
	deb := onlyFile(t, filepath.Join(out, "pxed_*.deb"))
	rpm := onlyFile(t, filepath.Join(out, "pxed-*.rpm"))
	checkRPM(t, rpm, deb)

	// A directory another package's scripts made (atftpd makes /srv/tftp)
	// is put back as it was if removing pxed's package removes it.
	tftpBefore, tftpErr := os.Stat("/srv/tftp")
	_, userErr := user.Lookup("pxed")
	t.Cleanup(func() {
		if b, err := exec.Command("dpkg", "--purge", "pxed").CombinedOutput(); err != nil {
			t.Errorf("cleanup: dpkg --purge pxed: %v\n%s", err, b)
		}
		if userErr != nil { // the test made the user: it goes too
			if b, err := exec.Command("userdel", "pxed").CombinedOutput(); err != nil {
				t.Errorf("cleanup: userdel pxed: %v\n%s", err, b)
			}
		}
		if tftpErr == nil {
			if _, err := os.Stat("/srv/tftp"); errors.Is(err, fs.ErrNotExist) {
				st := tftpBefore.Sys().(*syscall.Stat_t)
				// dpkg removes /srv as well where no other package owns it.
				err := os.MkdirAll("/srv/tftp", tftpBefore.Mode().Perm())
				if err == nil {
					err = os.Chown("/srv/tftp", int(st.Uid), int(st.Gid))
				}
				if err != nil {
					t.Errorf("cleanup: putting /srv/tftp back: %v", err)
				}
			}
		}
	})

	run(t, "dpkg", "--install", deb)

	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs/*.md: %v %v", docs, err)
	}
	want := []pkgFile{
		{"/etc/pxed", fs.ModeDir | 0o755, "root:root"},
		{"/etc/pxed/pxed.yaml", 0o644, "root:root"},
		{"/srv/tftp", fs.ModeDir | 0o755, "root:root"},
		{"/usr/bin/pxed", 0o755, "root:root"},
		{"/usr/lib/systemd/system/pxed.service", 0o644, "root:root"},
		{"/usr/lib/sysusers.d/pxed.conf", 0o644, "root:root"},
		{"/usr/lib/tmpfiles.d/pxed.conf", 0o644, "root:root"},
		{"/usr/share/bash-completion/completions/pxed", 0o644, "root:root"},
		{"/usr/share/doc/pxed/README.md", 0o644, "root:root"},
		{"/usr/share/doc/pxed/copyright", 0o644, "root:root"},
		{"/usr/share/man/man8/pxed.8.gz", 0o644, "root:root"},
		{"/usr/share/zsh/vendor-completions/_pxed", 0o644, "root:root"},
	}
	for _, d := range docs {
		want = append(want, pkgFile{"/usr/share/doc/pxed/docs/" + filepath.Base(d), 0o644, "root:root"})
	}
	slices.SortFunc(want, func(a, b pkgFile) int { return strings.Compare(a.path, b.path) })

	// dpkg -L lists what the package owns: those files, and directories
	// that hold them.
	var owned []string
	for _, p := range strings.Fields(run(t, "dpkg", "--listfiles", "pxed")) {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("dpkg lists %s, which is not there: %v", p, err)
			continue
		}
		if !fi.IsDir() || p == "/etc/pxed" || p == "/srv/tftp" {
			owned = append(owned, p)
		}
	}
	slices.Sort(owned)
	var wantPaths []string
	for _, w := range want {
		wantPaths = append(wantPaths, w.path)
	}
	if !slices.Equal(owned, wantPaths) {
		t.Errorf("the package installs\n  %s\nwant\n  %s", strings.Join(owned, "\n  "), strings.Join(wantPaths, "\n  "))
	}
	for _, w := range want {
		if w.path == "/srv/tftp" && tftpErr == nil {
			// dpkg leaves a directory that was there before as it was.
			st := tftpBefore.Sys().(*syscall.Stat_t)
			w.owner = ownerName(st.Uid, st.Gid)
			w.mode = tftpBefore.Mode() & (fs.ModeType | fs.ModePerm)
			t.Logf("/srv/tftp was here before the package: want it left %s %s", w.mode, w.owner)
		}
		checkFile(t, w)
	}
	for _, f := range []struct{ installed, source string }{
		{"/usr/lib/systemd/system/pxed.service", "deploy/pxed.service"},
		{"/etc/pxed/pxed.yaml", "deploy/pxed.yaml"},
		{"/usr/lib/sysusers.d/pxed.conf", "deploy/pxed.sysusers"},
		{"/usr/lib/tmpfiles.d/pxed.conf", "deploy/pxed.tmpfiles"},
	} {
		got, err1 := os.ReadFile(f.installed)
		src, err2 := os.ReadFile(filepath.Join(root, f.source))
		if err := errors.Join(err1, err2); err != nil || !bytes.Equal(got, src) {
			t.Errorf("%s is not %s (%v)", f.installed, f.source, err)
		}
	}
	for _, s := range []struct{ dpkg, source string }{
		{"postinst", "postinstall.sh"}, {"prerm", "preremove.sh"}, {"postrm", "postremove.sh"},
	} {
		got, err1 := os.ReadFile("/var/lib/dpkg/info/pxed." + s.dpkg)
		src, err2 := os.ReadFile(filepath.Join(root, "deploy", "scripts", s.source))
		if err := errors.Join(err1, err2); err != nil || !bytes.Equal(got, src) {
			t.Errorf("the .deb's %s is not deploy/scripts/%s (%v)", s.dpkg, s.source, err)
		}
	}
	if got := run(t, "dpkg-query", "--showformat=${Conffiles}", "--show", "pxed"); !strings.Contains(got, "/etc/pxed/pxed.yaml ") {
		t.Errorf("dpkg conffiles: %q, want /etc/pxed/pxed.yaml", got)
	}

	// The binary: static, and stamped with the package's version.
	pkgVersion := strings.TrimSpace(run(t, "dpkg-query", "--showformat=${Version}", "--show", "pxed"))
	// The first line of pxed version is the version; the commit and the
	// Go release follow.
	first, _, _ := strings.Cut(run(t, "/usr/bin/pxed", "version"), "\n")
	if got, want := strings.TrimSpace(first), "pxed "+strings.TrimSuffix(pkgVersion, "-1"); got != want {
		t.Errorf("/usr/bin/pxed version: %q, want %q (package %s)", got, want, pkgVersion)
	}
	if b, err := exec.Command("ldd", "/usr/bin/pxed").CombinedOutput(); err == nil || !strings.Contains(string(b), "not a dynamic executable") {
		t.Errorf("ldd /usr/bin/pxed: %s (%v), want a static binary", b, err)
	}

	// The user and its data directory, made by the postinst.
	u, err := user.Lookup("pxed")
	if err != nil {
		t.Fatalf("the package made no pxed user: %v", err)
	}
	if uid, _ := strconv.Atoi(u.Uid); uid == 0 || uid >= 1000 {
		t.Errorf("pxed's uid is %s, want a system uid (1-999)", u.Uid)
	}
	passwd := run(t, "getent", "passwd", "pxed")
	if shell := strings.TrimSpace(passwd[strings.LastIndex(passwd, ":")+1:]); !strings.HasSuffix(shell, "nologin") {
		t.Errorf("pxed's shell is %q, want nologin", shell)
	}
	checkFile(t, pkgFile{"/var/lib/pxed", fs.ModeDir | 0o750, "pxed:pxed"})

	// The man page and completions are those of this binary.
	for _, c := range []struct {
		file string
		args []string
	}{
		{"/usr/share/bash-completion/completions/pxed", []string{"completion", "bash"}},
		{"/usr/share/zsh/vendor-completions/_pxed", []string{"completion", "zsh"}},
	} {
		got, _ := os.ReadFile(c.file)
		if gen := run(t, "/usr/bin/pxed", c.args...); string(got) != gen {
			t.Errorf("%s is not what pxed %s prints", c.file, strings.Join(c.args, " "))
		}
	}
	if man := run(t, "sh", "-c", "zcat /usr/share/man/man8/pxed.8.gz"); man != run(t, "/usr/bin/pxed", "gen-man") {
		t.Errorf("pxed.8.gz is not what pxed gen-man prints")
	}

	// The unit, as systemd reads it.
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Errorf("systemd-analyze not found: scripts/deps installs it (Debian package systemd)")
	} else if b, err := exec.Command("systemd-analyze", "verify", "/usr/lib/systemd/system/pxed.service").CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify pxed.service: %v\n%s", err, b)
	} else if len(bytes.TrimSpace(b)) > 0 {
		t.Logf("systemd-analyze verify pxed.service (passed):\n%s", b)
	}
	unit, _ := os.ReadFile("/usr/lib/systemd/system/pxed.service")
	for _, line := range []string{"User=pxed", "ExecStartPre=/usr/bin/pxed check --config /etc/pxed/pxed.yaml",
		"ExecStart=/usr/bin/pxed serve --config /etc/pxed/pxed.yaml --data-dir /var/lib/pxed", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !bytes.Contains(unit, []byte("\n"+line+"\n")) {
			t.Errorf("pxed.service has no line %q", line)
		}
	}

	// The installed config passes the installed pxed check, as the unit's
	// ExecStartPre runs it.
	if b, err := exec.Command("/usr/bin/pxed", "check", "/etc/pxed/pxed.yaml").CombinedOutput(); err != nil {
		t.Errorf("pxed check /etc/pxed/pxed.yaml as installed: %v\n%s", err, b)
	}

	// Serve: the administrator names the interface in the installed config;
	// pxed runs as the unit runs it (user pxed, two ambient capabilities)
	// in a lab namespace, and a real client gets a lease.
	cfg, _ := os.ReadFile("/etc/pxed/pxed.yaml")
	edited := strings.Replace(string(cfg), "\ninterfaces: []\n", "\ninterfaces: [srv0]\n", 1)
	if edited == string(cfg) {
		t.Fatalf("/etc/pxed/pxed.yaml has no line \"interfaces: []\" to edit")
	}
	if err := os.WriteFile("/etc/pxed/pxed.yaml", []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	mac := servePackaged(t, u)

	// Remove: the binary goes; the leases, the edited config and the user stay.
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		t.Logf("systemd is not running here (no /run/systemd/system): the prerm's systemctl disable --now pxed is not exercised")
	}
	run(t, "dpkg", "--remove", "pxed")
	for _, p := range []string{"/usr/bin/pxed", "/usr/lib/systemd/system/pxed.service", "/usr/share/doc/pxed"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after dpkg --remove, %s: %v, want it gone", p, err)
		}
	}
	if got, _ := os.ReadFile("/etc/pxed/pxed.yaml"); string(got) != edited {
		t.Errorf("after dpkg --remove, /etc/pxed/pxed.yaml is not the edited config:\n%s", got)
	}
	if _, err := os.Stat("/var/lib/pxed/leases.journal"); err != nil {
		t.Errorf("after dpkg --remove, the leases: %v, want them kept", err)
	}
	if _, err := user.Lookup("pxed"); err != nil {
		t.Errorf("after dpkg --remove, the pxed user: %v", err)
	}

	// Purge: the config and the leases go too.
	run(t, "dpkg", "--purge", "pxed")
	for _, p := range []string{"/etc/pxed", "/var/lib/pxed"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after dpkg --purge, %s: %v, want it gone", p, err)
		}
	}
	if b, err := exec.Command("dpkg-query", "--show", "pxed").CombinedOutput(); err == nil {
		t.Errorf("after dpkg --purge, dpkg still knows pxed: %s", b)
	}
	t.Logf("served a lease to %s from the installed package; removed and purged", mac)
}

// refuseToClobber fails the test where an administrator's pxed could be
// lost: the test installs, removes and purges a package named pxed.
func refuseToClobber(t *testing.T) {
	t.Helper()
	if b, err := exec.Command("dpkg-query", "--showformat=${db:Status-Status}", "--show", "pxed").Output(); err == nil && string(b) != "not-installed" {
		t.Fatalf("a pxed package is on this machine (%s): the test would replace and purge it; remove it first", b)
	}
	for _, p := range []string{"/etc/pxed", "/var/lib/pxed", "/usr/bin/pxed"} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists and no pxed package owns it: purging the test's package would remove it; move it away first", p)
		}
	}
}

func onlyFile(t *testing.T, glob string) string {
	t.Helper()
	m, err := filepath.Glob(glob)
	if err != nil || len(m) != 1 {
		t.Fatalf("make packages made %v for %s, want one file (%v)", m, filepath.Base(glob), err)
	}
	return m[0]
}

// checkFile compares a path's type, mode and owner with w.
func checkFile(t *testing.T, w pkgFile) {
	t.Helper()
	fi, err := os.Lstat(w.path)
	if err != nil {
		t.Errorf("%s: %v", w.path, err)
		return
	}
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != w.mode {
		t.Errorf("%s: mode %s, want %s", w.path, got, w.mode)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if owner := ownerName(st.Uid, st.Gid); owner != w.owner {
		t.Errorf("%s: owner %s, want %s", w.path, owner, w.owner)
	}
}

// ownerName is USER:GROUP, or the numbers where a name is unknown.
func ownerName(uid, gid uint32) string {
	u, err1 := user.LookupId(strconv.Itoa(int(uid)))
	g, err2 := user.LookupGroupId(strconv.Itoa(int(gid)))
	if err1 != nil || err2 != nil {
		return fmt.Sprint(uid, ":", gid)
	}
	return u.Username + ":" + g.Name
}

// servePackaged runs the installed /usr/bin/pxed on the installed config as
// the unit runs it: as user u with CAP_NET_BIND_SERVICE and CAP_NET_RAW
// only, in a lab namespace; udhcpc gets a lease, which pxed leases shows in
// /var/lib/pxed. It stops pxed before returning, and returns the client's MAC.
func servePackaged(t *testing.T, u *user.User) string {
	t.Helper()
	server, client := newVethLab(t)
	log := filepath.Join(t.TempDir(), "pxed.log")
	logFile, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	caps := "+net_bind_service,+net_raw"
	cmd := server.command(context.Background(), "setpriv", "--reuid=pxed", "--regid=pxed", "--init-groups",
		"--inh-caps="+caps, "--ambient-caps="+caps,
		"/usr/bin/pxed", "serve", "--config", "/etc/pxed/pxed.yaml", "--data-dir", "/var/lib/pxed", "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := start("pxed", cmd)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		if inTime, err := p.stop(syscall.SIGTERM, 15*time.Second); !inTime || err != nil {
			t.Errorf("the packaged pxed did not stop cleanly on SIGTERM (in time: %v): %v", inTime, err)
		}
	}
	defer func() {
		if !p.exited() {
			stop()
		}
		if t.Failed() {
			t.Logf("pxed log (tail of %s):\n%s", log, tail(log, 40))
			keepArtifact(t, log, "pxed.log")
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, errExited
		}
		out, err := server.command(ctx, "ss", "-Hlun").Output()
		if err != nil {
			return false, fmt.Errorf("ss: %w", err)
		}
		return listensUDP(string(out), "67") && listensUDP(string(out), "69"), nil
	})
	if err != nil {
		t.Fatalf("the packaged pxed is not serving (%v; exit: %v); log:\n%s", err, p.err, tail(log, 40))
	}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^Uid:\s*(\d+)`).FindSubmatch(status); m == nil || string(m[1]) != u.Uid {
		t.Errorf("the packaged pxed runs as uid %q, want pxed (%s)", m, u.Uid)
	}

	mac := randomMAC()
	setMAC(t, client, "cli0", mac)
	ip, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatalf("udhcpc got no lease from the packaged pxed: %v", err)
	}
	if !inPool(ip) {
		t.Errorf("udhcpc got %s, want an address of the pool in /etc/pxed/pxed.yaml (%s-%s)", ip, poolFirst, poolLast)
	}
	stop()

	b, err := exec.Command("/usr/bin/pxed", "leases", "--data-dir", "/var/lib/pxed", "--json").Output()
	if err != nil {
		t.Fatalf("pxed leases: %v", err)
	}
	var leases []Lease
	if err := json.Unmarshal(b, &leases); err != nil {
		t.Fatalf("pxed leases --json: %v\n%s", err, b)
	}
	expectLease(t, leases, mac, ip)
	return mac
}

// checkRPM reads the .rpm as rpm does: the same files as the .deb (zsh's
// directory is the RPM family's), /etc/pxed/pxed.yaml as
// %config(noreplace), and the same maintainer scripts.
func checkRPM(t *testing.T, rpm, deb string) {
	t.Helper()
	// dpkg-deb -c lists ./path entries, directories with a final slash;
	// the .rpm, like the test above, names the two directories pxed owns.
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "--contents", deb)), "\n") {
		f := strings.Fields(line)
		p := strings.TrimPrefix(f[len(f)-1], ".")
		if strings.HasSuffix(p, "/") {
			if p != "/etc/pxed/" && p != "/srv/tftp/" {
				continue
			}
			p = strings.TrimSuffix(p, "/")
		}
		want = append(want, strings.Replace(p, "/usr/share/zsh/vendor-completions/", "/usr/share/zsh/site-functions/", 1))
	}
	slices.Sort(want)
	got := strings.Fields(run(t, "rpm", "-qlp", rpm))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("rpm -qlp lists\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	flags := run(t, "rpm", "-qp", "--queryformat", "[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]", rpm)
	for _, line := range []string{
		"/etc/pxed/pxed.yaml cn -rw-r--r-- root:root",
		"/usr/bin/pxed  -rwxr-xr-x root:root",
		"/srv/tftp  drwxr-xr-x root:root",
	} {
		if !strings.Contains(flags, line+"\n") {
			t.Errorf("rpm file flags, modes and owners have no line %q:\n%s", line, flags)
		}
	}

	scripts := run(t, "rpm", "-qp", "--scripts", rpm)
	root, _ := repoRoot()
	for _, s := range []struct{ scriptlet, file string }{
		{"postinstall scriptlet", "postinstall.sh"},
		{"preuninstall scriptlet", "preremove.sh"},
		{"postuninstall scriptlet", "postremove.sh"},
	} {
		src, err := os.ReadFile(filepath.Join(root, "deploy", "scripts", s.file))
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(scripts, s.scriptlet)
		if i < 0 {
			t.Errorf("rpm -qp --scripts has no %s", s.scriptlet)
			continue
		}
		body := scripts[strings.Index(scripts[i:], "\n")+i+1:]
		if !strings.HasPrefix(body, strings.TrimRight(string(src), "\n")) {
			t.Errorf("the rpm's %s is not deploy/scripts/%s:\n%s", s.scriptlet, s.file, body)
		}
	}
}
