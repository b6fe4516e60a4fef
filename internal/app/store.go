package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// Store is a store implementation: credit.Store and its migrations.
type Store interface {
	credit.Store
	Migrate(ctx context.Context) error
}

// OpenStore opens (and migrates) the store the configuration names.
func OpenStore(ctx context.Context, cfg *config.Config) (Store, error) {
	if cfg.Postgres() {
		s, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, cfg.DB, sqlite.Logger(cfg.Logger()), sqlite.Cache(cfg.SQLiteCache), sqlite.MMap(cfg.SQLiteMMap), sqlite.WALLimit(cfg.SQLiteWAL))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// LoadCatalog loads the embedded catalogue, overridden by cfg.CatalogDir.
func LoadCatalog(cfg *config.Config) (*catalog.Catalog, error) {
	return catalog.Load(cfg.CatalogDir)
}

// OpenSealed opens (and migrates) the store and the data keys, and checks
// the keys against the check values the store keeps (pii.Check): a wrong
// key stops here, before anything is sealed with it or anything sealed
// fails to open. What is worth knowing (a key generated, a rotation under
// way, a previous key no longer needed) is logged.
func OpenSealed(ctx context.Context, cfg *config.Config, cat *catalog.Catalog, logger *slog.Logger) (Store, *pii.Sealer, error) {
	// Records' personal fields join the registry of sealed columns: the
	// catalogue says which they are.
	pii.Register(records.SealedFields(cat))
	// Keys given in the configuration are checked for form before the
	// database is opened.
	if strings.TrimSpace(cfg.DataKey) == "" && cfg.Postgres() {
		return nil, nil, ErrNoPostgresKey
	}
	if strings.TrimSpace(cfg.DataKey) != "" {
		if _, err := ParseSealer(ConfiguredKeys(cfg, []string{cfg.DataKey})); err != nil {
			return nil, nil, err
		}
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	s, err := checkKeys(ctx, cfg, st, logger)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, s, nil
}

// checkKeys builds the sealer, checks it against the store's check values,
// and seals what an older installation kept in clear.
func checkKeys(ctx context.Context, cfg *config.Config, st Store, logger *slog.Logger) (*pii.Sealer, error) {
	s, note, err := sealer(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	s, notes, err := pii.Check(ctx, st, s, time.Now())
	if err != nil {
		return nil, err
	}
	for _, n := range append([]string{note}, notes...) {
		if n != "" {
			logger.Warn(n)
		}
	}
	logger.Debug("data key checked", "key", s.KeyID())
	n, err := pii.SealClear(ctx, st, s, pii.RotateOptions{})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		logger.Info("personal data an earlier version kept in clear is sealed", "rows", n)
	}
	return s, nil
}

// sealer builds the ID-number sealer from the configured keys. With the
// embedded store and no key configured, the keys are read from the key
// file beside the database (mode 0600; the current key on its first line,
// during a rotation the previous one on the next), which is generated on
// a database that holds nothing sealed yet, so that a county can run the
// platform with no setup; never on one that does, which a new key would
// leave unreadable. A shared PostgreSQL installation must configure the
// same key on every node.
func sealer(ctx context.Context, cfg *config.Config, st credit.KeyStore) (*pii.Sealer, string, error) {
	keys := []string{cfg.DataKey}
	note := ""
	if strings.TrimSpace(cfg.DataKey) == "" {
		if cfg.Postgres() {
			return nil, "", ErrNoPostgresKey
		}
		path := cfg.KeyFile()
		var err error
		keys, err = ReadKeyFile(path)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			sealed, err := pii.HasSealedData(ctx, st)
			if err != nil {
				return nil, "", err
			}
			if sealed {
				return nil, "", fmt.Errorf("bad configuration: the database %s holds ID numbers sealed with a data key, and its key file %s is missing: restore the key file from the backup made with the database, or set XINYONG_DATA_KEY to the key (a new key would leave them unreadable)", cfg.DB, path)
			}
			k, err := pii.NewKey()
			if err != nil {
				return nil, "", err
			}
			if err := WriteKeyFile(path, []string{k}); err != nil {
				return nil, "", err
			}
			keys, note = []string{k}, "generated a new data key at "+path+": back it up with the database"
		default:
			return nil, "", err
		}
	}
	s, err := ParseSealer(ConfiguredKeys(cfg, keys))
	return s, note, err
}

var ErrNoPostgresKey = errors.New("bad configuration: --data-key (XINYONG_DATA_KEY) is required with PostgreSQL so every node decrypts the same data; generate one with `openssl rand -base64 32`")

// ConfiguredKeys appends the configured previous key to keys.
func ConfiguredKeys(cfg *config.Config, keys []string) []string {
	if strings.TrimSpace(cfg.DataKeyPrevious) != "" {
		keys = append(keys, cfg.DataKeyPrevious)
	}
	return keys
}

// ParseSealer builds a sealer from keys in configuration form: the current
// one first, then previous ones.
func ParseSealer(keys []string) (*pii.Sealer, error) {
	raw := make([][]byte, len(keys))
	for i, k := range keys {
		b, err := pii.ParseKey(k)
		if err != nil {
			if i > 0 {
				err = fmt.Errorf("previous key: %w", err)
			}
			return nil, fmt.Errorf("bad configuration: %w", err)
		}
		raw[i] = b
	}
	s, err := pii.New(raw[0], raw[1:]...)
	if err != nil {
		return nil, fmt.Errorf("bad configuration: %w", err)
	}
	return s, nil
}

// ReadKeyFile reads the key file: one key per line, the current one first.
func ReadKeyFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("read data key %s: %w", path, Pathless(err))
	}
	var keys []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			keys = append(keys, l)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("bad configuration: the data key file %s is empty: restore it from the backup made with the database", path)
	}
	return keys, nil
}

// WriteKeyFile replaces the key file with keys, one per line, atomically
// (a crash leaves the old file or the new one, never a part) and readable
// by the owner only; its directory is created 0700 if need be.
func WriteKeyFile(path string, keys []string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, Pathless(err))
	}
	f, err := os.CreateTemp(dir, ".xinyong.key-*") // 0600
	if err != nil {
		return fmt.Errorf("write data key %s: %w", path, Pathless(err))
	}
	_, err = f.WriteString(strings.Join(keys, "\n") + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write data key %s: %w", path, Pathless(err))
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename is durable once the directory is; best effort where it cannot be synced
		d.Close()
	}
	return nil
}

// KeyFileInterval is how often a node on the key file looks for a key
// rotation begun while it runs.
const KeyFileInterval = 2 * time.Second

// FollowKeyFile lets a node that reads its keys from the key file take up
// a key rotation begun while it runs: `xinyong key rotate` writes the new
// key into the file (the old one after it) and registers it before it
// re-seals anything; within an interval the node adopts both keys, seals
// with the new one and opens either, so reads never stop. Nodes given
// their keys in the environment are restarted with both instead.
func FollowKeyFile(ctx context.Context, cfg *config.Config, st credit.KeyStore, s *pii.Sealer, logger *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if pii.Usable(ctx, st, s) == nil {
			continue
		}
		keys, err := ReadKeyFile(cfg.KeyFile())
		if err != nil {
			continue
		}
		n, err := ParseSealer(ConfiguredKeys(cfg, keys))
		if err != nil {
			continue
		}
		if n, _, err = pii.Check(ctx, st, n, time.Now()); err != nil || pii.Usable(ctx, st, n) != nil {
			continue
		}
		s.Adopt(n)
		logger.Warn("took up the data key rotation from the key file", "seals_with", n.KeyID(), "opens", strings.Join(n.KeyIDs(), ","))
	}
}

// Pathless drops the path an *fs.PathError repeats, for messages that
// name the file already.
func Pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
