// Package postgres is the shared-installation storage backend: PostgreSQL,
// or a PostgreSQL-wire distributed engine (CockroachDB, YugabyteDB) for
// national scale. The SQL, shared with SQLite in sqlstore, is a portable
// subset so that the same schema and queries run on all of them.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the backend's migration files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; this cannot fail
	}
	return sub
}

// Store is a credit.Store over PostgreSQL. The embedded sqlstore.Store
// supplies the credit.Store methods and Migrate / MigrationStatus.
type Store struct {
	*sqlstore.Store
	db *sql.DB
	// records and evalFiles follow the growth of those tables (analyzeAsGrown).
	records, evalFiles growth
	// bulk holds the batches whose import refreshed only some columns'
	// statistics (CommitChunk, FinishBatch).
	bulk sync.Map
}

// growth counts rows this process wrote to a table and the count at which
// its statistics are next refreshed.
type growth struct{ rows, next atomic.Int64 }

// analyzeAsGrown refreshes the planner's statistics of tables each time
// the rows this process wrote through g double (from 10,000): a store
// filled through the API, an exchange catch-up, a generator or BuildFiles
// outgrows its statistics faster than autovacuum (if it runs at all)
// refreshes them, and planned as near-empty tables the IN-list look-ups of
// a node's start read all of records, and the range reads of a full
// evaluation pass all of ev_files, instead of seeking. The import has its
// own (CommitChunk).
func (s *Store) analyzeAsGrown(ctx context.Context, g *growth, n int, tables string) {
	g.next.CompareAndSwap(0, 10_000)
	if total := g.rows.Add(int64(n)); total >= g.next.Load() {
		g.next.Store(2 * total)
		_, _ = s.db.ExecContext(ctx, `ANALYZE `+tables) // advisory: a failure plans with the old statistics
	}
}

// AppendRecords: see analyzeAsGrown.
func (s *Store) AppendRecords(ctx context.Context, recs []credit.Record) error {
	if err := s.Store.AppendRecords(ctx, recs); err != nil {
		return err
	}
	s.analyzeAsGrown(ctx, &s.records, len(recs), `records, subjects`)
	return nil
}

// PutEvalFiles: see analyzeAsGrown.
func (s *Store) PutEvalFiles(ctx context.Context, files []credit.EvalFile) error {
	if err := s.Store.PutEvalFiles(ctx, files); err != nil {
		return err
	}
	s.analyzeAsGrown(ctx, &s.evalFiles, len(files), `ev_files`)
	return nil
}

// DB returns the connection pool (reads and writes share it).
func (s *Store) DB() *sql.DB { return s.db }

// WithConn runs fn on one pooled connection's *pgx.Conn, for what
// database/sql cannot express, such as COPY for bulk import. The
// connection returns to the pool afterwards; fn must not keep it.
func (s *Store) WithConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) })
}

// Option adjusts Open.
type Option func(*options)

type options struct {
	migrate bool
	conns   int
}

// SkipMigrations opens without applying migrations, for tools that inspect
// a database (MigrationStatus) without changing it.
func SkipMigrations() Option { return func(o *options) { o.migrate = false } }

// MaxConns sets the pool size (default GOMAXPROCS*4, at least 8).
func MaxConns(n int) Option { return func(o *options) { o.conns = n } }

// pingTimeout bounds how long Open waits for the server, so a wrong
// address fails start-up quickly with a clear message instead of hanging.
const pingTimeout = 5 * time.Second

// Open connects to the database named by dsn (URL or key=value form),
// checks that it answers, and applies migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	const op = "postgres.Open"
	o := options{migrate: true, conns: max(8, runtime.GOMAXPROCS(0)*4)}
	for _, f := range opts {
		f(&o)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, credit.E(op, credit.Invalid, "bad PostgreSQL DSN: %v", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pingTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.conns)
	db.SetMaxIdleConns(o.conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Recycling connections lets a load balancer in front of a
	// distributed engine rebalance them.
	db.SetConnMaxLifetime(time.Hour)

	classify := classifier(where(cfg))
	s := &Store{
		Store: sqlstore.New(sqlstore.Dialect{
			Name:       "postgres",
			Migrations: Migrations(),
			MaxParams:  65535, // the protocol's 16-bit parameter count
			Classify:   classify,
			// AppendListEvent(s) lock their subjects before they take
			// feed positions (see sqlstore.Store.inSeqTx).
			ForKeyShare: " FOR KEY SHARE",
		}, db, db),
		db: db,
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		k, msg := classify(err)
		if k == credit.Other {
			k, msg = credit.Unavailable, fmt.Sprintf("cannot reach PostgreSQL at %s: %s", where(cfg), cause(err))
		}
		return nil, credit.E(op, k, "%s", msg)
	}
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// where names the server for messages: host:port or the socket directory,
// never the user or password.
func where(cfg *pgx.ConnConfig) string {
	if strings.HasPrefix(cfg.Host, "/") {
		return cfg.Host
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// classifier maps PostgreSQL SQLSTATEs and network errors to credit kinds.
func classifier(addr string) func(error) (credit.Kind, string) {
	return func(err error) (credit.Kind, string) {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.ConstraintName != "" {
				msg += " (" + pe.ConstraintName + ")"
			}
			switch {
			case pe.Code == "23505":
				return credit.Exists, msg
			case pe.Code == "23503", pe.Code == "23502", pe.Code == "23514", strings.HasPrefix(pe.Code, "22"):
				return credit.Invalid, msg
			case pe.Code == "40001", pe.Code == "40P01":
				// Serialization failure or deadlock: retrying may succeed.
				return credit.Conflict, msg
			case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"),
				strings.HasPrefix(pe.Code, "57P"), strings.HasPrefix(pe.Code, "28"),
				pe.Code == "3D000":
				// Connection, resources, shutdown, login, missing database:
				// the server is there but cannot be used.
				return credit.Unavailable, fmt.Sprintf("cannot use PostgreSQL at %s: %s", addr, pe.Message)
			}
			return credit.Other, ""
		}
		if isNetwork(err) {
			return credit.Unavailable, fmt.Sprintf("cannot reach PostgreSQL at %s: %s", addr, cause(err))
		}
		return credit.Other, ""
	}
}

func isNetwork(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, sql.ErrConnDone)
}

// cause is the short reason at the bottom of a connection error
// ("connection refused", "no such host", "timed out"), without the
// connection string pgx puts in its own messages.
func cause(err error) string {
	var errno syscall.Errno
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return dns.Err
	case errors.As(err, &errno):
		return errno.Error()
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "server closed the connection"
	}
	// Fall back to the innermost error, which is the least decorated (pgx
	// puts the user and database in the outer ones). pgx joins the errors
	// of each address it tried; the first one stands for them.
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				err = next
				continue
			}
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 && errs[0] != nil {
				err = errs[0]
				continue
			}
		}
		break
	}
	// The message must stay one line in logs and on the console.
	return strings.Join(strings.Fields(err.Error()), " ")
}
