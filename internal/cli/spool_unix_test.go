//go:build unix

package cli

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/api"
)

// TestOpenSpool: the spool directory is created 0700 (an existing one is
// tightened), uploads a crash left are removed and nothing else is, and a
// second node cannot take the same directory while the first holds it.
func TestOpenSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "spool")
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	release, err := openSpool(dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("spool directory: %v %v, want mode 0700", st.Mode().Perm(), err)
	}
	// While this node holds it, another is refused with what to do.
	if _, err := openSpool(dir, logger); err == nil || !strings.Contains(err.Error(), "--spool-dir") {
		t.Fatalf("second node on the same spool: %v", err)
	}
	// The node dies with uploads in flight.
	for _, n := range []string{api.SpoolPrefix + "123", api.SpoolPrefix + "456"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("cf_xdr_zjhm\n110105195412183524\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	release()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	release, err = openSpool(dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != ".lock,README" {
		t.Errorf("left in the spool: %v, want only .lock and README", names)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("spool directory mode %#o after restart, want 0700", st.Mode().Perm())
	}
	if !strings.Contains(log.String(), "files=2") || !strings.Contains(log.String(), "mode tightened") {
		t.Errorf("log: %s", log.String())
	}
}
