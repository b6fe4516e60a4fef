package cli

import (
	"bytes"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// asMainEnv makes the test binary act as the xinyong command (Main with
// its arguments), so that tests of commands that start this executable as
// a child (bench check's servers and load generator) run the real thing.
const asMainEnv = "XINYONG_CLI_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// run calls Main in-process and returns the exit code and both outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// oneLine fails unless s is exactly one line with no trace of a panic or
// stack: the errors users see must say what to fix in one line.
func oneLine(t *testing.T, s string) {
	t.Helper()
	s = strings.TrimRight(s, "\n")
	if s == "" || strings.Contains(s, "\n") || strings.Contains(s, "goroutine") || strings.Contains(s, "panic") {
		t.Fatalf("want a one-line error, got %q", s)
	}
}

func TestCodeCheck(t *testing.T) {
	code, out, _ := run(t, "code", "check", "91350100M000100Y43", "91350203M0001QKT19")
	if code != 0 {
		t.Fatalf("exit %d for a valid and a flagged code, want 0; out=%q", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "\tvalid\t") || !strings.Contains(lines[1], "\tflagged\t") {
		t.Fatalf("output = %q", out)
	}

	code, out, _ = run(t, "code", "check", "91350100M000100Y43", "91350100M000100Y4Z")
	if code != 1 {
		t.Fatalf("exit %d with an invalid code, want 1", code)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "91350100M000100Y4Z\tinvalid\t") || !strings.Contains(lines[1], "18") {
		t.Fatalf("invalid code line = %q, want code, invalid and the position in the reason", lines[len(lines)-1])
	}

	if code, _, errOut := run(t, "code", "check"); code != 2 || errOut == "" {
		t.Fatalf("no codes: exit %d, stderr %q", code, errOut)
	}
}

func TestOneLineErrors(t *testing.T) {
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "items.json"), []byte(`{"version": "x", "items": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "x.db")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	key := "--data-key=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cases := []struct {
		name string
		args []string
		exit int
		want string // substring of stderr
	}{
		{"unknown catalogue item", []string{"catalog", "item", "no_such_item"}, 1, `unknown catalogue item "no_such_item"`},
		{"malformed catalogue file", []string{"catalog", "check", "--catalog-dir", bad}, 1, "items.json"},
		{"bad log level", []string{"migrate", "--db", db, "--log-level", "loud"}, 1, "bad configuration"},
		{"unsupported db scheme", []string{"migrate", "--db", "mysql://root@127.0.0.1/x"}, 1, "unsupported scheme"},
		{"unreachable database", []string{"migrate", "--db", "postgres://postgres@127.0.0.1:1/test?connect_timeout=2"}, 1, "cannot reach PostgreSQL at 127.0.0.1:1"},
		{"postgres without data key", []string{"serve", "--db", "postgres://postgres@127.0.0.1:1/test", "--data-key", ""}, 1, "--data-key"},
		{"short data key", []string{"serve", "--db", db, "--data-key", "c2hvcnQ="}, 1, "at least 32 bytes"},
		{"metrics address taken", []string{"serve", "--db", db, key, "--addr", "127.0.0.1:0", "--metrics-addr", taken.Addr().String()}, 1, "--metrics-addr " + taken.Addr().String()},
		{"metrics on the main address", []string{"serve", "--db", db, key, "--addr", "127.0.0.1:8080", "--metrics-addr", "127.0.0.1:8080"}, 1, "--metrics-addr"},
		{"bad upload limit", []string{"serve", "--db", db, key, "--max-upload", "big"}, 2, "-max-upload"},
		{"server profile of an in-process server", []string{"bench", "check", "--dir", t.TempDir(), "--server-cpuprofile", "x.cpu", "--server-in-process"}, 1, "--server-cpuprofile"},
		{"server trace of an in-process server", []string{"bench", "check", "--dir", t.TempDir(), "--server-trace", "x.trace", "--server-in-process"}, 1, "--server-trace"},
		{"latencies of an in-process generator", []string{"bench", "check", "--dir", t.TempDir(), "--latencies", t.TempDir(), "--load-in-process"}, 1, "--latencies"},
		{"unknown flag", []string{"migrate", "--nope"}, 2, "flag provided but not defined"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XINYONG_DATA_KEY", "")
			code, _, errOut := run(t, tc.args...)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.exit, errOut)
			}
			oneLine(t, errOut)
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not mention %q", errOut, tc.want)
			}
		})
	}
}

// TestDefaultsAgree: serve's configured defaults are the packages' own.
func TestDefaultsAgree(t *testing.T) {
	if config.DefaultMaxUpload != api.DefaultMaxUpload {
		t.Errorf("upload limit: config %d, api %d", config.DefaultMaxUpload, api.DefaultMaxUpload)
	}
	if config.DefaultMaxRejectRows != ingest.DefaultMaxRejectRows {
		t.Errorf("reject rows: config %d, ingest %d", config.DefaultMaxRejectRows, ingest.DefaultMaxRejectRows)
	}
	if config.DefaultSQLiteCache != sqlite.DefaultCache {
		t.Errorf("SQLite cache: config %d, sqlite %d", config.DefaultSQLiteCache, sqlite.DefaultCache)
	}
	if config.DefaultSQLiteWAL != sqlite.DefaultWALLimit {
		t.Errorf("SQLite WAL limit: config %d, sqlite %d", config.DefaultSQLiteWAL, sqlite.DefaultWALLimit)
	}
	if config.DefaultUploadIdle != server.DefaultBodyIdle {
		t.Errorf("idle timeout: config %s, server %s", config.DefaultUploadIdle, server.DefaultBodyIdle)
	}
}

func TestMigrateTwice(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "x.db")
	for i := 0; i < 2; i++ {
		code, out, errOut := run(t, "migrate", "--db", db)
		if code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("run %d: exit %d out %q err %q", i, code, out, errOut)
		}
	}
}

func TestCatalogCheckAndItem(t *testing.T) {
	code, out, _ := run(t, "catalog", "check")
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("catalog check: exit %d out %q", code, out)
	}
	code, out, _ = run(t, "catalog", "item", "admin_penalty")
	if code != 0 || !strings.Contains(out, "cf_wsh") || !strings.Contains(out, "basis\t") {
		t.Fatalf("catalog item: exit %d out %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := run(t, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: xinyong "+c.name) || strings.Count(out, "Usage:") != 1 {
			t.Errorf("%s --help: exit %d, want the usage once; out %q", c.name, code, out)
		}
	}
	code, out, _ := run(t, "help")
	if code != 0 || !strings.Contains(out, "serve") {
		t.Fatalf("help: exit %d out %q", code, out)
	}
}
