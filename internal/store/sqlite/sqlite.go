// Package sqlite is the embedded storage backend: one SQLite file, so that a
// county can run the platform on one machine with no database server.
//
// It follows the usual recipe for SQLite under concurrent load: WAL journal
// (readers never block the writer), a pool of read-only connections, and a
// single write connection so that writers queue in Go instead of failing
// with SQLITE_BUSY. The SQL itself is shared with PostgreSQL in sqlstore.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the backend's migration files, for tools that list or
// check them.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; this cannot fail
	}
	return sub
}

// Store is a credit.Store over one SQLite file. The embedded sqlstore.Store
// supplies the credit.Store methods and Migrate / MigrationStatus.
type Store struct {
	*sqlstore.Store
	path string
	ckpt *checkpointer
}

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Close runs PRAGMA optimize, which SQLite recommends before closing a
// long-lived connection so the query planner has statistics, then closes.
func (s *Store) Close() error {
	_, _ = s.WriteDB().Exec(`PRAGMA optimize`) // advisory: failure changes nothing
	if s.ckpt != nil {
		s.ckpt.stop()
	}
	return s.Store.Close()
}

// checkpointPeriod is how often the checkpointer copies the WAL's new
// pages into the database file.
const checkpointPeriod = 500 * time.Millisecond

// DefaultWALLimit is the WAL size past which the writer checkpoints by
// itself when WALLimit is not given (SQLite's own default is 1000 pages, 4 MiB).
//
// The WAL starts again from its beginning only when every frame in it has
// been copied into the file and no reader still reads from it. A bulk
// import's workers read all the time and its writer commits back to back,
// so the checkpointer copies frames but the WAL rarely starts over: it
// grows until the writer's own limit, and from then on the writer
// checkpoints after every commit. Every commit then writes the index pages
// it dirtied twice, once into the WAL and once into the file, where a
// longer interval writes a page dirtied by many commits into the file once.
// Measured on a 1M-row SQLite import (BENCHMARKS.md, "Ingest"): a limit of
// 64 MB took 159 s, 256 MiB 131 s, 800 MB 115 s.
const DefaultWALLimit = 1 << 30

// walTruncate is the size the WAL file is cut back to when it starts over,
// so that the disk space a bulk import's WAL took is given back after it.
const walTruncate = 64 << 20

// pageSize is SQLite's default page size, which the store keeps.
const pageSize = 4096

// checkpointer copies the WAL into the database file from a connection of
// its own, so that the single writer does not: left to SQLite, the commit
// that fills the WAL past 1000 pages runs the checkpoint itself, and on a
// bulk import that was a fifth of the writer's time. A PASSIVE checkpoint
// never waits for readers or the writer; with nothing new in the WAL it
// does nothing.
type checkpointer struct {
	db   *sql.DB
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func startCheckpointer(db *sql.DB, logger *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, done: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(checkpointPeriod)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				if _, err := db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil && !isBusy(err) {
					logger.Warn("SQLite checkpoint failed; the writer checkpoints by itself past its limit", "err", err)
				}
			}
		}
	}()
	return c
}

// stop ends the checkpointer; a second call (Close twice) does nothing.
func (c *checkpointer) stop() {
	c.once.Do(func() {
		close(c.done)
		c.wg.Wait()
		_ = c.db.Close()
	})
}

// Option adjusts Open.
type Option func(*options)

type options struct {
	migrate bool
	readers int
	logger  *slog.Logger
	cache   int64 // bytes of page cache of the write connection
	mmap    int64 // bytes of the file mapped into memory, per connection
	wal     int64 // bytes of WAL past which the writer checkpoints by itself
}

// DefaultCache is the page cache of the write connection when Cache is not
// given. SQLite's own default (2 MiB) holds too few index pages once the
// tables outgrow it: every insert into an index of random keys (subject
// IDs, document numbers) then reads its leaf back through the OS and the
// cache spills dirty pages into the WAL before the commit, so the same
// pages are written several times per transaction.
const DefaultCache = 64 << 20

// Cache sets the page cache, in bytes, of the write connection; each
// connection of the read pool gets a quarter of it (at least SQLite's own
// 2 MiB). 0 keeps DefaultCache. Memory is taken only as pages are read.
func Cache(bytes int64) Option {
	return func(o *options) {
		if bytes > 0 {
			o.cache = bytes
		}
	}
}

// MMap maps up to bytes of the database file into memory on every
// connection (SQLite's mmap_size); 0, the default, reads pages with
// read(2). Measured on bulk import it did not help (see BENCHMARKS.md),
// and an I/O error on a mapped page is a signal rather than an error.
func MMap(bytes int64) Option { return func(o *options) { o.mmap = max(bytes, 0) } }

// WALLimit sets the WAL size, in bytes, past which the writer checkpoints
// by itself (see DefaultWALLimit); 0 keeps DefaultWALLimit. The disk needs
// room for a WAL of this size beside the database during a bulk import.
func WALLimit(bytes int64) Option {
	return func(o *options) {
		if bytes > 0 {
			o.wal = bytes
		}
	}
}

// cachePragma is SQLite's cache_size in KiB (negative: a size, not pages).
func cachePragma(bytes int64) string { return fmt.Sprintf("cache_size(-%d)", max(bytes>>10, 2048)) }

// SkipMigrations opens the file without applying migrations, for tools that
// inspect a database (MigrationStatus) without changing it.
func SkipMigrations() Option { return func(o *options) { o.migrate = false } }

// Readers sets the size of the read pool (default GOMAXPROCS*2, at least 4).
func Readers(n int) Option { return func(o *options) { o.readers = n } }

// Logger is where Open reports what it changed on disk (a file's mode
// tightened); default slog.Default().
func Logger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// busyTimeoutMillis bounds how long a connection waits for a lock held by
// another process (a backup, a second binary on the same file) before
// reporting SQLITE_BUSY; within one process the single writer queues in Go.
const busyTimeoutMillis = 10000

// Open opens (creating if needed) the database file at path, creating its
// parent directory (mode 0700), and applies migrations. The file, and with
// it the -wal and -shm files SQLite creates beside it with the database's
// own mode, are readable by the owner only (0600): they hold personal
// data. An existing file readable by others is tightened, with a notice. ":memory:" is refused: every
// pooled connection would get its own empty database.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	const op = "sqlite.Open"
	o := options{migrate: true, readers: max(4, runtime.GOMAXPROCS(0)*2), cache: DefaultCache, wal: DefaultWALLimit}
	for _, f := range opts {
		f(&o)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "mode=memory") {
		return nil, credit.E(op, credit.Invalid, "SQLite needs a plain file path, not %q: the store pools connections and each in-memory connection would be a separate database", path)
	}
	// The driver reads everything after the first '?' as parameters.
	if strings.ContainsRune(path, '?') {
		return nil, credit.E(op, credit.Invalid, "SQLite file path %q must not contain '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, credit.E(op, credit.Unavailable, "cannot create directory for SQLite database %s: %v", path, unwrapPathError(err))
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if err := ownerOnly(path, o.logger); err != nil {
		return nil, credit.E(op, credit.Unavailable, "cannot create SQLite database %s: %v", path, unwrapPathError(err))
	}

	// Pragmas go in the DSN so that database/sql applies them to every
	// connection it opens, including ones it opens later to replace
	// closed ones; a one-off PRAGMA after Open would reach only one.
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	common.Add("_pragma", "foreign_keys(1)")
	if o.mmap > 0 {
		common.Add("_pragma", fmt.Sprintf("mmap_size(%d)", o.mmap))
	}
	writeQ := url.Values{}
	for k, v := range common {
		writeQ[k] = append([]string(nil), v...)
	}
	writeQ.Add("_pragma", "journal_mode(WAL)")
	writeQ.Add("_pragma", cachePragma(o.cache))
	writeQ.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", max(o.wal/pageSize, 1)))
	writeQ.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", min(o.wal, walTruncate)))
	// NORMAL is durable across application crashes in WAL mode; only a
	// power loss can drop the last commits, and it never corrupts.
	writeQ.Add("_pragma", "synchronous(NORMAL)")
	// A multi-row INSERT in a transaction keeps a statement journal so it
	// can roll back alone; in memory rather than a temp file, it stops
	// costing a write per page on bulk import.
	writeQ.Add("_pragma", "temp_store(MEMORY)")
	// The writer takes the write lock at BEGIN, so a transaction cannot
	// fail halfway when another process wrote in between.
	writeQ.Set("_txlock", "immediate")
	readQ := common
	readQ.Add("_pragma", cachePragma(o.cache/4))
	// WAL mode is a property of the file, set by the writer; readers only
	// need to refuse writes, which guards against a write sneaking onto the
	// read pool and bypassing the single-writer queue.
	readQ.Set("_query_only", "1")

	classify := classifier(path)
	w, err := sql.Open("sqlite", path+"?"+writeQ.Encode())
	if err != nil {
		return nil, credit.E(op, credit.Internal, "%v", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Open the writer first: it switches the file to WAL before any reader
	// connects.
	if err := pingWhileBusy(ctx, w); err != nil {
		w.Close()
		return nil, unavailable(op, path, err, classify)
	}
	r, err := sql.Open("sqlite", path+"?"+readQ.Encode())
	if err != nil {
		w.Close()
		return nil, credit.E(op, credit.Internal, "%v", err)
	}
	r.SetMaxOpenConns(o.readers)
	r.SetMaxIdleConns(o.readers)
	r.SetConnMaxLifetime(0)
	if err := pingWhileBusy(ctx, r); err != nil {
		w.Close()
		r.Close()
		return nil, unavailable(op, path, err, classify)
	}

	// The checkpointer's connection writes to the file (a checkpoint is
	// no transaction, but query_only forbids it) and needs no cache.
	ckQ := url.Values{}
	ckQ.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	ck, err := sql.Open("sqlite", path+"?"+ckQ.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, credit.E(op, credit.Internal, "%v", err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxLifetime(0)
	ck.SetConnMaxIdleTime(0)
	s := &Store{
		Store: sqlstore.New(sqlstore.Dialect{
			Name:       "sqlite",
			Migrations: Migrations(),
			MaxParams:  32766, // SQLITE_MAX_VARIABLE_NUMBER since 3.32
			Classify:   classify,
			// See sqlstore.Dialect.Placeholder: plain "?" keeps binding
			// a multi-row INSERT linear.
			Placeholder: func(int) string { return "?" },
		}, r, w),
		path: path,
	}
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			s.Store.Close()
			ck.Close()
			return nil, err
		}
	}
	s.ckpt = startCheckpointer(ck, o.logger)
	return s, nil
}

// ownerOnly creates the database file with mode 0600 if it does not exist,
// so that SQLite, which opens an existing file and gives its -wal and -shm
// files the database's mode, never creates any of them readable by others
// (its own default is 0644). Existing files readable or writable by group
// or others are tightened to 0600, with a notice.
func ownerOnly(path string, logger *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil // modes are not Unix permissions there
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o077 == 0 {
			continue // absent, not a file (Open reports it), or private already
		}
		if err := os.Chmod(p, st.Mode().Perm()&0o700); err != nil {
			return err
		}
		logger.Warn("SQLite file was readable by others: mode tightened", "file", p,
			"was", fmt.Sprintf("%#o", st.Mode().Perm()), "now", fmt.Sprintf("%#o", st.Mode().Perm()&0o700))
	}
	return nil
}

// pingWhileBusy opens a first connection, retrying while SQLite reports
// SQLITE_BUSY, for as long as busy_timeout would wait. Switching a new file
// to WAL needs it alone, and when a second process opens the same new file
// at that moment SQLite answers SQLITE_BUSY at once instead of calling the
// busy handler (an import started beside a server on a fresh file).
func pingWhileBusy(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMillis * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

func unavailable(op, path string, err error, classify func(error) (credit.Kind, string)) error {
	if k, msg := classify(err); k != credit.Other {
		return credit.E(op, k, "%s", msg)
	}
	return credit.E(op, credit.Unavailable, "cannot open SQLite database %s: %v", path, err)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// classifier maps SQLite result codes to credit kinds. The driver enables
// extended result codes, so constraint failures can be told apart.
func classifier(path string) func(error) (credit.Kind, string) {
	return func(err error) (credit.Kind, string) {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return credit.Other, ""
		}
		code := se.Code()
		switch code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return credit.Exists, se.Error()
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_NOTNULL,
			sqlite3.SQLITE_CONSTRAINT_CHECK:
			return credit.Invalid, se.Error()
		}
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return credit.Unavailable, fmt.Sprintf("SQLite database %s is locked by another process", path)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return credit.Unavailable, fmt.Sprintf("cannot use SQLite database %s: %s", path, sqlite.ErrorCodeString[code&0xff])
		}
		return credit.Other, ""
	}
}
