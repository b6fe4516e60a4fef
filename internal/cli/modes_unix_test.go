//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestImportFileModes: an import on a fresh data directory leaves nothing
// readable by others: the directory (0700), the database (0600), the
// generated key file (0600) and the rejects file (0600), even one an
// earlier run left with a wider mode.
func TestImportFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	t.Setenv("XINYONG_DATA_KEY", "")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	db := filepath.Join(data, "xinyong.db")
	file := filepath.Join(dir, "penalties.csv")
	if code, _, errOut := run(t, "gen", "--item", "admin_penalty", "--rows", "40", "--error-rate", "0.5", "-o", file); code != 0 {
		t.Fatalf("gen: %d %s", code, errOut)
	}
	imp := func() {
		t.Helper()
		code, out, errOut := run(t, "import", "--db", db, "--dept", "SAMR-350100", "--item", "admin_penalty", "--quiet", file)
		if code != 1 || !strings.Contains(out, "rejected rows with reasons") {
			t.Fatalf("import: exit %d, want 1 with rejects; out %q err %q", code, out, errOut)
		}
	}
	imp()
	rejects := filepath.Join(dir, "penalties.rejects.csv")
	want := map[string]os.FileMode{data: 0o700, db: 0o600, filepath.Join(data, "xinyong.key"): 0o600, rejects: 0o600}
	for p, m := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != m {
			t.Errorf("%s: mode %#o, want %#o", filepath.Base(p), got, m)
		}
	}
	// A rejects file from before is tightened when written again.
	if err := os.Chmod(rejects, 0o644); err != nil {
		t.Fatal(err)
	}
	imp()
	if st, err := os.Stat(rejects); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("rewritten rejects file: %v %v, want mode 0600", st.Mode().Perm(), err)
	}
}
