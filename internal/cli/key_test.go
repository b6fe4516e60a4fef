package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// keyEnv is a data directory whose database holds natural persons sealed
// with a key generated into the key file by a first import.
type keyEnv struct {
	dir, db, file, keyFile string
}

func newKeyEnv(t *testing.T) *keyEnv {
	t.Helper()
	// No serve follows these key files: no need to wait for one.
	w := adoptWait
	adoptWait = 0
	t.Cleanup(func() { adoptWait = w })
	t.Setenv("XINYONG_DATA_KEY", "")
	t.Setenv("XINYONG_DATA_KEY_PREVIOUS", "")
	dir := t.TempDir()
	e := &keyEnv{dir: dir, db: filepath.Join(dir, "data", "xinyong.db"), file: filepath.Join(dir, "penalties.csv"),
		keyFile: filepath.Join(dir, "data", "xinyong.key")}
	if code, _, errOut := run(t, "gen", "--item", "admin_penalty", "--rows", "200", "-o", e.file); code != 0 {
		t.Fatalf("gen: %s", errOut)
	}
	if code, out, errOut := e.imp(t); code != 0 {
		t.Fatalf("first import: %d %s %s", code, out, errOut)
	}
	if n := e.persons(t); n == 0 {
		t.Fatal("the generated file names no natural person")
	}
	return e
}

func (e *keyEnv) imp(t *testing.T, flags ...string) (int, string, string) {
	t.Helper()
	return run(t, append(append([]string{"import", "--db", e.db, "--dept", "SAMR-350100", "--item", "admin_penalty", "--quiet"}, flags...), e.file)...)
}

func (e *keyEnv) persons(t *testing.T) int {
	t.Helper()
	st, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.ReadDB().QueryRow(`SELECT count(*) FROM subjects WHERE id_cipher IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *keyEnv) keys(t *testing.T) []string {
	t.Helper()
	ks, err := app.ReadKeyFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestWrongKeyRefused: a valid key that is not the database's stops
// import and serve at start, saying which key the database expects and
// what to set; before, it started, and persons were registered twice.
func TestWrongKeyRefused(t *testing.T) {
	e := newKeyEnv(t)
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	for _, args := range [][]string{
		{"import", "--db", e.db, "--data-key", wrong, "--dept", "SAMR-350100", "--item", "admin_penalty", "--quiet", e.file},
		{"serve", "--db", e.db, "--data-key", wrong, "--addr", "127.0.0.1:0"},
	} {
		code, _, errOut := run(t, args...)
		oneLine(t, errOut)
		if code != 1 || !strings.Contains(errOut, "bad data key") || !strings.Contains(errOut, "XINYONG_DATA_KEY") {
			t.Errorf("%s with a wrong key: exit %d, %q", args[0], code, errOut)
		}
	}
}

// TestLostKeyFileRefused: with the key file gone, a database holding
// sealed data is not given a new key; before, a new key was generated
// with a warning and the ID numbers could no longer be opened.
func TestLostKeyFileRefused(t *testing.T) {
	e := newKeyEnv(t)
	if err := os.Remove(e.keyFile); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := e.imp(t)
	oneLine(t, errOut)
	if code != 1 || !strings.Contains(errOut, "key file") || !strings.Contains(errOut, "restore") || !strings.Contains(errOut, "XINYONG_DATA_KEY") {
		t.Fatalf("import without the key file: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(e.keyFile); !os.IsNotExist(err) {
		t.Fatalf("a key file was generated: %v", err)
	}
	// The same with serve.
	code, _, errOut = run(t, "serve", "--db", e.db, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "restore the key file") {
		t.Fatalf("serve without the key file: exit %d, %q", code, errOut)
	}
}

// TestKeyRotateKeyFile: `xinyong key rotate` on a key-file installation
// re-seals under a new key, leaves it alone in the key file, and the old
// key is refused afterwards; the windows a crash could leave are picked
// up by the next run.
func TestKeyRotateKeyFile(t *testing.T) {
	e := newKeyEnv(t)
	old := e.keys(t)[0]
	code, out, errOut := run(t, "key", "rotate", "--db", e.db, "--batch", "3")
	if code != 0 || !strings.Contains(out, "is retired and refused from now on") {
		t.Fatalf("key rotate: exit %d\n%s%s", code, out, errOut)
	}
	ks := e.keys(t)
	if len(ks) != 1 || ks[0] == old {
		t.Fatalf("key file after the rotation: %d keys, new %v", len(ks), ks[0] != old)
	}
	if st, err := os.Stat(e.keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode().Perm(), err)
	}
	// Everyone still opens with the new key alone.
	st, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.ParseSealer(ks)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.ReadDB().Query(`SELECT id_cipher, id_hash FROM subjects WHERE id_cipher IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var c []byte
		var h string
		if err := rows.Scan(&c, &h); err != nil {
			t.Fatal(err)
		}
		id, err := s.Open(c)
		if err != nil || s.Hash(id) != h || pii.KeyOf(c) != s.KeyID() {
			t.Fatalf("a person after the rotation: %v", err)
		}
		n++
	}
	rows.Close()
	st.Close()
	if n != e.persons(t) {
		t.Fatalf("%d persons checked", n)
	}
	// The old key is refused; the key file's key imports (nothing new).
	code, _, errOut = e.imp(t, "--data-key", old)
	if code != 1 || !strings.Contains(errOut, "retired") {
		t.Fatalf("import with the old key: exit %d %q", code, errOut)
	}
	if code, out, errOut := e.imp(t); code != 0 || !strings.Contains(out, "already imported") {
		t.Fatalf("import with the new key: exit %d %s %s", code, out, errOut)
	}

	// Killed after writing the new key into the file, before anything else:
	// the next run takes the rotation up from the file.
	cur := e.keys(t)[0]
	next, err := pii.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := app.WriteKeyFile(e.keyFile, []string{next, cur}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "key", "rotate", "--db", e.db)
	if ks := e.keys(t); code != 0 || len(ks) != 1 || ks[0] != next {
		t.Fatalf("resumed rotation: exit %d, key file %d keys\n%s%s", code, len(ks), out, errOut)
	}
	// Killed after the rotation finished, before the key file was tidied:
	// the next run tidies it and starts nothing new.
	if err := app.WriteKeyFile(e.keyFile, []string{next, cur}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "key", "rotate", "--db", e.db)
	if ks := e.keys(t); code != 0 || !strings.Contains(out, "had finished") || len(ks) != 1 || ks[0] != next {
		t.Fatalf("rerun after a finished rotation: exit %d %q, %d keys", code, out, len(ks))
	}
}

// TestFollowKeyFile: a node running on the key file takes up a rotation
// begun while it runs, so that it seals with the new key and reads both,
// without a restart.
func TestFollowKeyFile(t *testing.T) {
	e := newKeyEnv(t)
	cfg := &config.Config{DB: e.db}
	st, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := app.ParseSealer(e.keys(t))
	if err != nil {
		t.Fatal(err)
	}
	old := s.KeyID()
	// `key rotate` begins: the new key into the file, registered.
	if _, err := beginFileRotation(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	n, err := app.ParseSealer(e.keys(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pii.Check(t.Context(), st, n, time.Now()); err != nil {
		t.Fatal(err)
	}
	if pii.Usable(t.Context(), st, s) == nil {
		t.Fatal("a node on the old key alone is usable during a rotation")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel() // before the store closes
	go app.FollowKeyFile(ctx, cfg, st, s, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Millisecond)
	for pii.Usable(t.Context(), st, s) != nil {
		time.Sleep(time.Millisecond)
	}
	if s.KeyID() != n.KeyID() || strings.Join(s.KeyIDs(), ",") != n.KeyID()+","+old {
		t.Fatalf("the node holds %v, want %s then %s", s.KeyIDs(), n.KeyID(), old)
	}
}
