package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// migrator is what both store implementations offer besides credit.Store.
type migrator interface {
	credit.Store
	Migrate(ctx context.Context) error
}

// openStore opens (and migrates) the store the configuration names.
func openStore(ctx context.Context, cfg *config.Config) (migrator, error) {
	if cfg.Postgres() {
		s, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, cfg.DB, sqlite.Logger(cfg.Logger()))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// loadCatalog loads the embedded catalogue, overridden by cfg.CatalogDir.
func loadCatalog(cfg *config.Config) (*catalog.Catalog, error) {
	return catalog.Load(cfg.CatalogDir)
}

// sealer builds the ID-number sealer. With the embedded store and no key
// configured, a key is generated once into a file beside the database
// (mode 0600) so a county can run the platform with no setup; a shared
// PostgreSQL installation must configure the same key on every node.
func sealer(cfg *config.Config) (*pii.Sealer, string, error) {
	key := cfg.DataKey
	note := ""
	if strings.TrimSpace(key) == "" {
		if cfg.Postgres() {
			return nil, "", errors.New("bad configuration: --data-key (XINYONG_DATA_KEY) is required with PostgreSQL so every node decrypts the same data; generate one with `openssl rand -base64 32`")
		}
		path := cfg.KeyFile()
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			key = string(b)
		case errors.Is(err, fs.ErrNotExist):
			raw := make([]byte, 32)
			if _, err := rand.Read(raw); err != nil {
				return nil, "", fmt.Errorf("generate data key: %w", err)
			}
			key = base64.StdEncoding.EncodeToString(raw)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
			}
			if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
				return nil, "", fmt.Errorf("write data key %s: %w", path, err)
			}
			note = "generated a new data key at " + path + ": back it up with the database"
		default:
			return nil, "", fmt.Errorf("read data key %s: %w", path, err)
		}
	}
	raw, err := pii.ParseKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("bad configuration: %w", err)
	}
	s, err := pii.New(raw)
	if err != nil {
		return nil, "", err
	}
	return s, note, nil
}
