package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// Reports are a node's credit reports, authorisations and transparency
// log, wired in New (buildReports) and handed to the server in Deps.
type Reports struct {
	report.Platform
	// key is the current signing key (atomic: a rotation may swap it).
	key atomic.Pointer[signing.Key]
}

// SigningKey is the key the node signs with now.
func (r *Reports) SigningKey() *signing.Key { return r.key.Load() }

// LogInterval is how often a node follows the change feed into the log
// and signs a checkpoint of it.
const LogInterval = tlog.Interval

// buildReports wires the transparency log (following the change feed
// from every node, signing a checkpoint about every second), the report
// service and the grants. The signing key is p.SigningKey, or a key made
// for this process (tests; `serve` always passes one, OpenSigningKey).
func (a *App) buildReports(ctx context.Context, p Parts) error {
	k := p.SigningKey
	if k == nil {
		seed, err := signing.NewKey()
		if err != nil {
			return err
		}
		if k, err = signing.ParseKey(seed); err != nil {
			return err
		}
	}
	if err := RegisterSigningKey(ctx, a.Store, k, a.Now()); err != nil {
		return err
	}
	a.R.key.Store(k)
	origin := a.Catalog.Reports.Platform.LogOrigin
	a.R.Log = &tlog.Log{Store: a.Store, Reader: &tlog.Reader{Store: a.Store}, Origin: origin, Sealer: a.Sealer, Logger: a.Logger, Now: a.Now,
		Signer: func() (note.Signer, error) { return a.R.SigningKey().NoteSigner(origin) }}
	a.R.Reports = &report.Service{Store: a.Store, Catalog: a.Catalog, Publish: a.Publish, Marks: a.Marks, Files: a.Records,
		Sealer: a.Sealer, Log: a.R.Log, Key: a.R.SigningKey, Now: a.Now, BaseURL: p.PublicURL}
	a.R.Grants = &auth.Grants{Store: a.Store, Catalog: a.Catalog, Now: a.Now}
	a.R.KeySet, a.R.Key = a.KeySet, a.R.SigningKey
	a.loops = append(a.loops, func(ctx context.Context) { a.R.Log.Run(ctx, LogInterval) })
	return nil
}

// RegisterSigningKey records a key's public half in the store unless it
// is there: every key that ever signed keeps verifying.
func RegisterSigningKey(ctx context.Context, st credit.SigningKeyStore, k *signing.Key, now time.Time) error {
	err := st.AddSigningKey(ctx, k.Record(now))
	if err != nil && !credit.Is(credit.Exists, err) {
		return fmt.Errorf("register the signing key: %w", err)
	}
	return nil
}

// SigningKeyFile is where the embedded store keeps its signing key: beside
// the database, like the data key's file.
func SigningKeyFile(cfg *config.Config) string {
	return strings.TrimSuffix(cfg.KeyFile(), "xinyong.key") + "xinyong.signing.key"
}

// OpenSigningKey is the node's signing key: --signing-key
// (XINYONG_SIGNING_KEY) when given; else, with SQLite, the key file beside
// the database, generated when missing (a key that is lost only means a
// new one: every public half stays in the store and keeps verifying);
// else, with PostgreSQL, derived from the data key (HKDF-SHA-256 under a
// label of its own), so that every node given the same data key signs
// with the same key and no second secret has to be handed round.
func OpenSigningKey(cfg *config.Config, logger *slog.Logger) (*signing.Key, error) {
	if s := strings.TrimSpace(cfg.SigningKey); s != "" {
		k, err := signing.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("bad configuration: --signing-key (XINYONG_SIGNING_KEY): %w", err)
		}
		return k, nil
	}
	if cfg.Postgres() {
		master, err := pii.ParseKey(cfg.DataKey)
		if err != nil {
			return nil, fmt.Errorf("bad configuration: %w", err)
		}
		seed, err := hkdf.Key(sha256.New, master, nil, "xinyong signing key v1", 32)
		if err != nil {
			return nil, err
		}
		return signing.ParseKey(base64.StdEncoding.EncodeToString(seed))
	}
	path := SigningKeyFile(cfg)
	keys, err := ReadKeyFile(path)
	switch {
	case err == nil:
		return signing.ParseKey(keys[0])
	case errors.Is(err, fs.ErrNotExist):
		s, err := signing.NewKey()
		if err != nil {
			return nil, err
		}
		if err := WriteKeyFile(path, []string{s}); err != nil {
			return nil, err
		}
		logger.Warn("generated a new signing key for reports and the transparency log at " + path + ": back it up with the database")
		return signing.ParseKey(s)
	default:
		return nil, err
	}
}

// RotateSigningKey makes a new signing key current: with the key file, it
// writes the new key into it; the older keys are retired in the store
// (they sign nothing new and keep verifying). With a configured key it
// returns the new key for the operator to configure instead.
func RotateSigningKey(ctx context.Context, cfg *config.Config, st credit.SigningKeyStore, now time.Time) (k *signing.Key, configured string, err error) {
	s, err := signing.NewKey()
	if err != nil {
		return nil, "", err
	}
	if k, err = signing.ParseKey(s); err != nil {
		return nil, "", err
	}
	olds, err := st.SigningKeys(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := RegisterSigningKey(ctx, st, k, now); err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(cfg.SigningKey) != "" || cfg.Postgres() {
		configured = s
	} else if err := WriteKeyFile(SigningKeyFile(cfg), []string{s}); err != nil {
		return nil, "", err
	}
	for _, o := range olds {
		if o.Retired.IsZero() && o.ID != k.ID {
			if err := st.RetireSigningKey(ctx, o.ID, now); err != nil {
				return nil, "", err
			}
		}
	}
	return k, configured, nil
}

// KeySet is the published key set of the node's store.
func (a *App) KeySet(ctx context.Context) (*signing.KeySet, error) {
	keys, err := a.Store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	plat := a.Catalog.Reports.Platform
	return signing.NewKeySet(plat.Name, plat.NameEn, plat.LogOrigin, keys)
}
