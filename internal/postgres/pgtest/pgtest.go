// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in a
// temporary directory, postgres listening only on a unix socket in that
// directory (no TCP at all), stopped and removed when the test ends.
//
// PostgreSQL refuses to run as root, so a test running as root starts it as
// the "postgres" user that Debian's package creates (or "nobody"); the
// temporary directory is given to that user.
//
// When the server programs are missing the test is skipped with a message
// saying how to install them, except in CI (CI=true), where that is a failure:
// CI installs them (scripts/deps), so their absence is a broken setup.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL started by Start.
type Server struct {
	dir  string // data directory and socket directory live under it
	cmd  *exec.Cmd
	exit chan error
	dbs  atomic.Int64
}

// bin finds a PostgreSQL server program: in PATH, else in Debian's
// versioned directory /usr/lib/postgresql/N/bin (the newest N).
func bin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) == 0 {
		return "", fmt.Errorf("%s not found in PATH or /usr/lib/postgresql/*/bin", name)
	}
	return dirs[0], nil
}

func version(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

// Start initialises and starts a server for t, and stops it and removes its
// files when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	initdb, err1 := bin("initdb")
	postgres, err2 := bin("postgres")
	if err := errors.Join(err1, err2); err != nil {
		msg := fmt.Sprintf("PostgreSQL server programs missing (%v): install Debian's postgresql package (scripts/deps)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := start(initdb, postgres)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	return s
}

func start(initdb, postgres string) (*Server, error) {
	// Not t.TempDir: its parents are private to root, and the server may
	// run as another user. /tmp lets everyone through.
	dir, err := os.MkdirTemp("", "pxed-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, exit: make(chan error, 1)}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred, err = unprivileged()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	// --no-sync: a test cluster need not survive a power cut while it is
	// created; the running server keeps fsync on.
	ini := exec.Command(initdb, "-D", data, "-U", "pxed", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	ini.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	ini.Dir = dir
	if out, err := ini.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	// listen_addresses='' opens no TCP socket: only the unix socket in dir.
	s.cmd = exec.Command(postgres, "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=200")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			c.Close(ctx)
			return s, nil
		}
		select {
		case werr := <-s.exit:
			s.exit <- werr
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited at start (%v):\n%s", werr, log)
		case <-ctx.Done():
			s.stop()
			return nil, fmt.Errorf("postgres not accepting connections after 60 s: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unprivileged is the user a root test runs the server as.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("no postgres or nobody user to run PostgreSQL as (it refuses root)")
}

// DSN returns the connection string of database db on the server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=pxed dbname=%s sslmode=disable", s.dir, db)
}

// SocketDir is the directory of the server's unix socket (readable by
// processes in any network namespace of this machine).
func (s *Server) SocketDir() string { return s.dir }

// NewDatabase creates an empty database and returns its DSN.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	name := "t" + strconv.FormatInt(s.dbs.Add(1), 10) + "_" + strings.ToLower(sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return s.DSN(name)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// stop shuts the server down (fast shutdown: SIGINT) and removes its files.
func (s *Server) stop() error {
	defer os.RemoveAll(s.dir)
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exit:
		return nil
	case <-time.After(30 * time.Second):
		// Its whole process group: postgres and the backends it forked.
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exit
		return errors.New("postgres did not stop within 30 s of SIGINT; killed")
	}
}
