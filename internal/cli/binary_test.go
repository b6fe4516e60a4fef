package cli_test

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// binary builds the xinyong command into the test's temporary directory
// and returns its path, for tests that need the real binary (a subprocess
// killed mid-import, a server whose files are scanned). Skipped with
// -short.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "xinyong")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/xinyong/xinyong/cmd/xinyong").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
