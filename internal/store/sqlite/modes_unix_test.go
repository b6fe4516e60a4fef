//go:build unix

package sqlite_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// TestFileModes: the database, its -wal and -shm files and a directory the
// store creates are the owner's alone, whatever the umask lets through;
// an existing database readable by others is tightened on open, with a
// notice.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "xinyong.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A write makes sure the WAL and the shared-memory file exist.
	if err := s.PutSubject(t.Context(), &credit.Subject{ID: "91350100M000100Y43", Kind: credit.Organisation, Name: "甲"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}, {path + "-wal", 0o600}, {path + "-shm", 0o600}} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != c.want {
			t.Errorf("%s: mode %#o, want %#o", filepath.Base(c.path), got, c.want)
		}
	}
	s.Close()

	// A database an older version left world-readable.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	s, err = sqlite.Open(t.Context(), path, sqlite.Logger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("existing database: mode %#o after open, want 0600", got)
	}
	if !strings.Contains(log.String(), "mode tightened") || !strings.Contains(log.String(), "was=0644") {
		t.Errorf("no notice of the tightened mode: %q", log.String())
	}
}
