package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/app"
)

// openSpool prepares the directory where uploaded batch files wait while
// they are imported: created 0700 (or tightened to it), locked for this
// node alone until release (two nodes sharing it would remove each other's
// files at start), and emptied of the uploads a crash or a kill left
// behind: they hold departments' rows as sent, ID numbers included, and no
// import will ever read them again (resending the file resumes its batch).
func openSpool(dir string, logger *slog.Logger) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool directory %s: %w", dir, app.Pathless(err))
	}
	if err := tightenDir(dir, logger); err != nil {
		return nil, fmt.Errorf("spool directory %s: %w", dir, app.Pathless(err))
	}
	release, err = lockDir(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		release()
		return nil, fmt.Errorf("spool directory %s: %w", dir, app.Pathless(err))
	}
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), api.SpoolPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			release()
			return nil, fmt.Errorf("remove a left-over upload: %w", err)
		}
		removed++
	}
	if removed > 0 {
		logger.Warn("removed uploads an interrupted run left in the spool directory; their batches resume when the files are sent again",
			"dir", dir, "files", removed)
	}
	return release, nil
}

// tightenDir makes an existing directory the owner's alone, with a notice.
func tightenDir(dir string, logger *slog.Logger) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && !windows {
		if err := os.Chmod(dir, perm&0o700); err != nil {
			return err
		}
		logger.Warn("directory was open to others: mode tightened", "dir", dir, "was", fmt.Sprintf("%#o", perm), "now", fmt.Sprintf("%#o", perm&0o700))
	}
	return nil
}
