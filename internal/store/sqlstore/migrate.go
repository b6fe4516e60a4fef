package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Migration is one schema change and whether this database has it.
type Migration struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero unless Applied
	// Unknown is set for a version recorded in the database that this
	// binary does not ship: a newer binary has migrated the schema.
	Unknown bool
}

type migrationFile struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]+)_([a-z0-9_]+)\.sql$`)

// schemaMigrations is created outside the numbered files because it is the
// guard that makes applying them safe; the same text runs on every backend.
const schemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

func (s *Store) migrationFiles() ([]migrationFile, error) {
	if s.d.Migrations == nil {
		return nil, nil
	}
	entries, err := fs.ReadDir(s.d.Migrations, ".")
	if err != nil {
		return nil, err
	}
	var out []migrationFile
	seen := make(map[int]string)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q has a bad version", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(s.d.Migrations, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migrationFile{version: v, name: m[2], sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies, in order, every migration the database does not have yet,
// each in its own transaction. It is safe to call on every start and from
// several nodes at once: each migration's transaction first inserts its row
// into schema_migrations with ON CONFLICT DO NOTHING, so a second node
// either blocks on the first node's uncommitted row and then skips, or finds
// the row already there. A failed migration rolls back with its row.
func (s *Store) Migrate(ctx context.Context) error {
	const op = "store.Migrate"
	files, err := s.migrationFiles()
	if err != nil {
		return credit.Wrap(op, credit.Internal, err)
	}
	if _, err := s.w.ExecContext(ctx, schemaMigrations); err != nil {
		// Two PostgreSQL nodes racing on CREATE TABLE IF NOT EXISTS can make
		// the loser fail on the catalogue's unique index; the table exists
		// then, which is all that is needed.
		if _, err2 := s.w.ExecContext(ctx, `SELECT count(*) FROM schema_migrations`); err2 != nil {
			return s.fail(op, err)
		}
	}
	for _, m := range files {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)
				 ON CONFLICT (version) DO NOTHING`,
				m.version, m.name, time.Now().UnixMicro())
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				return errApplied
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			return nil
		})
		if errors.Is(err, errApplied) {
			continue
		}
		if err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

// errApplied rolls back the guard transaction of a migration that is
// already recorded. It never leaves Migrate.
var errApplied = errors.New("already applied")

// MigrationStatus lists the migrations this binary ships, with whether each
// is applied, followed by any applied version this binary does not know.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	const op = "store.MigrationStatus"
	files, err := s.migrationFiles()
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	applied := make(map[int]Migration)
	rows, err := s.r.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		// A database never migrated has no schema_migrations table; report
		// everything as pending rather than failing.
		if _, err2 := s.r.ExecContext(ctx, `SELECT 1`); err2 != nil {
			return nil, s.fail(op, err)
		}
		rows = nil
	}
	if rows != nil {
		defer rows.Close()
		for rows.Next() {
			var m Migration
			var at sql.NullInt64
			if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
				return nil, s.fail(op, err)
			}
			m.Applied, m.AppliedAt = true, fromMicros(at)
			applied[m.Version] = m
		}
		if err := rows.Err(); err != nil {
			return nil, s.fail(op, err)
		}
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m, ok := applied[f.version]
		if !ok {
			m = Migration{Version: f.version, Name: f.name}
		}
		delete(applied, f.version)
		out = append(out, m)
	}
	var extra []Migration
	for _, m := range applied {
		m.Unknown = true
		extra = append(extra, m)
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Version < extra[j].Version })
	return append(out, extra...), nil
}
