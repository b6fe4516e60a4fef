// Package config reads the platform's configuration from flags and
// XINYONG_* environment variables. A flag given on the command line wins
// over the environment, which wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration shared by the subcommands.
type Config struct {
	// DB is where the data lives: a SQLite file path (the default,
	// ./data/xinyong.db) or a postgres:// URL.
	DB string
	// Addr is the HTTP listen address.
	Addr string
	// DataKey is the master key for natural persons' ID numbers (base64 or
	// hex, at least 32 bytes).
	DataKey string
	// DataKeyPrevious is the key being replaced while a key rotation is
	// under way: what is not re-sealed yet opens with it.
	DataKeyPrevious string
	// SigningKey signs credit reports and the transparency log's
	// checkpoints (an Ed25519 seed, 32 bytes in base64); empty: the key
	// file beside the SQLite database, or derived from the data key with
	// PostgreSQL (app.OpenSigningKey).
	SigningKey string
	// PublicURL is the platform's public address, printed in reports'
	// verification links and QR codes; empty: the address a request came
	// to.
	PublicURL string
	// CatalogDir overrides the embedded catalogue file by file.
	CatalogDir string
	// CalendarDir is where administrators' calendar years are kept;
	// empty: CalendarPath's default.
	CalendarDir string
	// SQLiteCache is the page cache of the SQLite write connection, in
	// bytes (each read connection gets a quarter); SQLiteMMap how much of
	// the file each connection maps into memory (0: none); SQLiteWAL the
	// WAL size past which the writer checkpoints by itself.
	SQLiteCache int64
	SQLiteMMap  int64
	SQLiteWAL   int64
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// PublicRate is how many public reads (search, subject pages, lists)
	// per second one client may make; PublicBurst how many at once. A rate
	// of 0 disables the limit.
	PublicRate  float64
	PublicBurst int
	// SearchIndex: the node holds the in-memory name index (≈ 0.22 GiB per
	// million subjects). A node that only answers hit checks and API calls
	// can go without; its name searches then scan the store.
	SearchIndex bool
	// TrustedProxies lists the reverse proxies and load balancers in
	// front of the node (addresses and CIDR prefixes, comma-separated):
	// from them, X-Forwarded-For names the client. Empty: the TCP peer is
	// the client.
	TrustedProxies string
	// GCPercent is the garbage collector's target, as GOGC: how far the
	// heap may grow over the live data before a collection; 0 is auto
	// (internal/gcpace). serve sets it at start (GCTarget).
	GCPercent int
	gcGiven   bool // by --gc-percent or XINYONG_GC_PERCENT
	// MetricsAddr is where serve answers GET /metrics, on a listener of
	// its own; empty: metrics are not served. The main address never
	// serves them.
	MetricsAddr string
	// Profiles serves the Go runtime's profiles (/debug/pprof/) beside
	// the metrics.
	Profiles bool
	// SecureCookies marks the session, form and language cookies Secure
	// whatever the request or the proxy headers say about TLS.
	SecureCookies bool
	// MaxUpload bounds an uploaded file (a batch, or a form with case
	// files), in bytes.
	MaxUpload int64
	// UploadIdle cuts a request body that sends nothing for this long; a
	// body that keeps coming may take as long as it needs.
	UploadIdle time.Duration
	// MaxRejectRows caps the rejected rows stored per batch; the rest are
	// counted only.
	MaxRejectRows int
	// SpoolDir is where uploaded batch files wait while they are imported;
	// empty: SpoolPath's default.
	SpoolDir string
	// IndexDir is where the name index keeps its snapshot; empty:
	// IndexPath's default; "off": no snapshot.
	IndexDir string

	// Exchange (internal/exchange): the NATS server's URL (empty: no
	// JetStream transport), the node's signing key (else its key file
	// beside the SQLite file), and the federation's exchange key with
	// which personal data travels.
	NATS        string
	NodeKey     string
	ExchangeKey string
	// ExchangeRun runs the exchange's publishers and consumers on this
	// node (one node of an installation); the others answer feed pulls.
	ExchangeRun bool

	// OIDC is the identity provider subjects sign in with (oidc.go).
	OIDC OIDC

	envErrs []error // malformed XINYONG_* values, reported by Validate
	// serve and ingest record that RegisterServe and RegisterIngest
	// declared their flags, whose values Validate then checks.
	serve, ingest bool
}

// DefaultDB is the embedded store's file.
const DefaultDB = "data/xinyong.db"

// Defaults of serve's limits. The API and ingest packages have the same
// values as their own defaults (a test holds them together).
const (
	// DefaultMetricsAddr is loopback: a Prometheus on the same machine
	// scrapes it, nobody else reaches it. Not 9090, which Prometheus
	// itself takes by default.
	DefaultMetricsAddr   = "127.0.0.1:9464"
	DefaultMaxUpload     = 200 << 20
	DefaultUploadIdle    = 30 * time.Second
	DefaultMaxRejectRows = 10_000
	// DefaultSQLiteCache is sqlite.DefaultCache (a test holds them
	// together).
	DefaultSQLiteCache = 64 << 20
	// DefaultSQLiteWAL is sqlite.DefaultWALLimit (the same test).
	DefaultSQLiteWAL = 1 << 30
)

// Register declares the shared flags on fs, with defaults taken from the
// environment.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.DB, "db", env("XINYONG_DB", DefaultDB), "SQLite file path or postgres:// URL (env XINYONG_DB)")
	fs.StringVar(&c.DataKey, "data-key", env("XINYONG_DATA_KEY", ""), "master key for ID numbers, base64 or hex, ≥32 bytes; checked against the check value the database keeps; with SQLite, if unset, the key file beside the database (created on a database that holds nothing sealed yet) (env XINYONG_DATA_KEY)")
	fs.StringVar(&c.DataKeyPrevious, "previous-data-key", env("XINYONG_DATA_KEY_PREVIOUS", ""), "during a key rotation, the key being replaced (base64 or hex): values not re-sealed yet open with it; --data-key is then the new key (env XINYONG_DATA_KEY_PREVIOUS)")
	fs.StringVar(&c.SigningKey, "signing-key", env("XINYONG_SIGNING_KEY", ""), "Ed25519 key (32-byte seed, base64) that signs credit reports and the transparency log's checkpoints; if unset, with SQLite the key file xinyong.signing.key beside the database (generated), with PostgreSQL derived from the data key; every key that ever signed stays published and verifying (env XINYONG_SIGNING_KEY)")
	fs.StringVar(&c.CatalogDir, "catalog-dir", env("XINYONG_CATALOG_DIR", ""), "directory whose catalogue files override the embedded ones (env XINYONG_CATALOG_DIR)")
	fs.StringVar(&c.CalendarDir, "calendar-dir", env("XINYONG_CALENDAR_DIR", ""), "directory of the working-day calendar years administrators add (xinyong calendar add, PUT /api/v1/calendar/years/{year}), read at start over the embedded years (default: calendar/ beside the SQLite file; ./calendar with PostgreSQL) (env XINYONG_CALENDAR_DIR)")
	c.SQLiteCache = c.envSize("XINYONG_SQLITE_CACHE", DefaultSQLiteCache)
	fs.Var(&sizeValue{&c.SQLiteCache}, "sqlite-cache", "SQLite page cache of the write connection, as bytes or with KiB, MiB, GiB; each read connection gets a quarter; memory is taken only as pages are read (env XINYONG_SQLITE_CACHE)")
	c.SQLiteMMap = c.envSize("XINYONG_SQLITE_MMAP", 0)
	fs.Var(&sizeValue{&c.SQLiteMMap}, "sqlite-mmap", "bytes of the SQLite file each connection maps into memory (SQLite mmap_size, at most 2 GiB: the embedded SQLite's limit); 0: none, pages are read with read(2) (env XINYONG_SQLITE_MMAP)")
	c.SQLiteWAL = c.envSize("XINYONG_SQLITE_WAL", DefaultSQLiteWAL)
	fs.Var(&sizeValue{&c.SQLiteWAL}, "sqlite-wal", "SQLite WAL size past which the writer copies it into the database file itself; a background checkpoint copies it every 500 ms, and the larger the WAL may grow, the fewer times a bulk import writes the same index page into the file; the disk needs this much room beside the database (env XINYONG_SQLITE_WAL)")
	fs.StringVar(&c.LogLevel, "log-level", env("XINYONG_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env XINYONG_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("XINYONG_LOG_FORMAT", "text"), "log format: text or json (env XINYONG_LOG_FORMAT)")
}

// RegisterServe declares the flags only serve needs.
func (c *Config) RegisterServe(fs *flag.FlagSet) {
	c.serve = true
	fs.StringVar(&c.Addr, "addr", env("XINYONG_ADDR", "127.0.0.1:8080"), "HTTP listen address (env XINYONG_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("XINYONG_PUBLIC_URL", ""), "the platform's public address (e.g. https://credit.example.gov.cn), printed in credit reports' verification links and QR codes; empty: the address each request came to (env XINYONG_PUBLIC_URL)")
	// The default is set before Var, which takes the flag's printed
	// default from the value's String at that moment.
	c.PublicRate = c.envFloat("XINYONG_PUBLIC_RATE", 5)
	fs.Var(&floatValue{&c.PublicRate, "XINYONG_PUBLIC_RATE"}, "public-rate", "public reads (search, subject pages, lists) per second per client (API key or address); 0 = no limit; over it clients get 429 with Retry-After (env XINYONG_PUBLIC_RATE)")
	fs.IntVar(&c.PublicBurst, "public-burst", c.envInt("XINYONG_PUBLIC_BURST", 30), "public reads one client may make in a burst (env XINYONG_PUBLIC_BURST)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("XINYONG_TRUSTED_PROXIES", ""), "reverse proxies or load balancers in front of this node, as addresses and CIDR prefixes, comma-separated; requests from them are attributed to the client their X-Forwarded-For names (login limits, rate limits, logs, audit); empty: the TCP peer is the client (env XINYONG_TRUSTED_PROXIES)")
	fs.StringVar(&c.SpoolDir, "spool-dir", env("XINYONG_SPOOL_DIR", ""), "directory where uploaded batch files wait while they are imported, one per node; files a crash left there are removed at start (default: spool/ beside the SQLite file; data/spool with PostgreSQL) (env XINYONG_SPOOL_DIR)")
	fs.StringVar(&c.IndexDir, "index-dir", env("XINYONG_INDEX_DIR", ""), "directory where the name index and the hit-check index keep their snapshots (search.snap, hitcheck.snap), read at start and caught up through the change feed instead of reading every subject and list event from the store; a snapshot that is corrupt, of another database or (hit check) of another catalogue is ignored; off: no snapshot (default: index/ beside the SQLite file; data/index with PostgreSQL) (env XINYONG_INDEX_DIR)")
	fs.BoolVar(&c.SearchIndex, "search-index", c.envBool("XINYONG_SEARCH_INDEX", true), "hold the in-memory name index (about 0.22 GiB per million subjects); false for nodes that serve hit checks and the API but not the portal's search, whose name searches then scan the store (env XINYONG_SEARCH_INDEX)")
	if v, ok := os.LookupEnv("XINYONG_GC_PERCENT"); ok {
		if err := (&gcValue{c}).Set(v); err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("XINYONG_GC_PERCENT=%q: give auto or a whole number ≥ 1", v))
		}
	}
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("XINYONG_METRICS_ADDR", DefaultMetricsAddr), "address of a separate listener answering GET /metrics (Prometheus); empty: metrics are not served; the main address never serves them (env XINYONG_METRICS_ADDR)")
	fs.BoolVar(&c.Profiles, "pprof", c.envBool("XINYONG_PPROF", false), "also serve the Go runtime's profiles (/debug/pprof/: CPU, heap, goroutines, execution trace) on --metrics-addr, for finding where a node's time goes under load; they show code, not data, but cost CPU while taken (env XINYONG_PPROF)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", c.envBool("XINYONG_SECURE_COOKIES", false), "mark the session, form and language cookies Secure whatever the request or the proxy headers say; set it when users reach the node over HTTPS (env XINYONG_SECURE_COOKIES)")
	c.MaxUpload = c.envSize("XINYONG_MAX_UPLOAD", DefaultMaxUpload)
	fs.Var(&sizeValue{&c.MaxUpload}, "max-upload", "largest uploaded file (a batch, or a form with case files), as bytes or with KiB, MiB, GiB; larger ones are refused with 413 (env XINYONG_MAX_UPLOAD)")
	fs.DurationVar(&c.UploadIdle, "upload-idle-timeout", c.envDuration("XINYONG_UPLOAD_IDLE_TIMEOUT", DefaultUploadIdle), "cut a request body (an upload) that sends nothing for this long; one that keeps coming may take as long as it needs (env XINYONG_UPLOAD_IDLE_TIMEOUT)")
	c.RegisterIngest(fs)
	c.registerOIDC(fs)
	fs.Var(&gcValue{c}, "gc-percent", "garbage collector target, as GOGC: the heap grows this many `percent` over the live data before a collection; auto: the larger of 256 MiB and a quarter of the live heap, as a percentage between 25 and 800, followed as the heap changes (the node's indexes hold no pointers, so collections are cheap; see README); when neither this nor XINYONG_GC_PERCENT is given, a GOGC in the environment applies (env XINYONG_GC_PERCENT)")
}

// RegisterIngest declares the flags of commands that import files (serve
// for uploads, import).
func (c *Config) RegisterIngest(fs *flag.FlagSet) {
	c.ingest = true
	fs.IntVar(&c.MaxRejectRows, "max-reject-rows", c.envInt("XINYONG_MAX_REJECT_ROWS", DefaultMaxRejectRows), "rejected rows stored per batch with their cells and reasons, for the rejects file; past it they are only counted (env XINYONG_MAX_REJECT_ROWS)")
}

// GCTarget returns the collector target serve sets: a percentage, or 0
// for auto (internal/gcpace). It returns false when GOGC from the
// environment should stand (neither --gc-percent nor XINYONG_GC_PERCENT
// given).
func (c *Config) GCTarget() (int, bool) {
	if !c.gcGiven {
		if _, ok := os.LookupEnv("GOGC"); ok {
			return 0, false
		}
	}
	return c.GCPercent, true
}

// gcValue is --gc-percent: auto (0) or a percentage; it records that it
// was given.
type gcValue struct{ c *Config }

func (g *gcValue) String() string {
	if g == nil || g.c == nil {
		return "" // the zero value, against which flag decides whether to print a default
	}
	if g.c.GCPercent == 0 {
		return "auto"
	}
	return strconv.Itoa(g.c.GCPercent)
}

func (g *gcValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "auto" {
		g.c.GCPercent, g.c.gcGiven = 0, true
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("%q is neither auto nor a whole number ≥ 1 (percent)", s)
	}
	g.c.GCPercent, g.c.gcGiven = n, true
	return nil
}

// floatValue is a float flag whose default comes from the environment.
type floatValue struct {
	p   *float64
	env string
}

func (f *floatValue) String() string {
	if f == nil || f.p == nil {
		return "0" // the zero value, against which flag decides whether to print a default
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f *floatValue) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a rate ≥ 0 (requests per second)", s)
	}
	*f.p = v
	return nil
}

func (c *Config) envFloat(name string, def float64) float64 {
	if v, ok := os.LookupEnv(name); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && f >= 0 {
			return f
		}
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: give a number ≥ 0", name, v))
	}
	return def
}

func (c *Config) envSize(name string, def int64) int64 {
	if v, ok := os.LookupEnv(name); ok {
		var n int64
		if err := (&sizeValue{&n}).Set(v); err == nil {
			return n
		}
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: give a size such as 200MiB", name, v))
	}
	return def
}

func (c *Config) envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err == nil {
			return d
		}
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: give a duration such as 30s", name, v))
	}
	return def
}

// sizeValue is a byte count given as a number of bytes or with a binary
// unit: 200MiB, 1GiB, 512KiB (also 200M, 1G, 512K).
type sizeValue struct{ p *int64 }

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"kib", 10}, {"mib", 20}, {"gib", 30}, {"k", 10}, {"m", 20}, {"g", 30}, {"b", 0}}

func (s *sizeValue) String() string {
	if s == nil || s.p == nil {
		return "0"
	}
	n := *s.p
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

func (s *sizeValue) Set(v string) error {
	t := strings.ToLower(strings.TrimSpace(v))
	var shift uint
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, shift = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a size such as 200MiB, 1GiB or a number of bytes", v)
	}
	*s.p = n << shift
	return nil
}

func (c *Config) envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err == nil && n > 0 {
			return n
		}
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: give a whole number ≥ 1", name, v))
	}
	return def
}

func (c *Config) envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err == nil {
			return b
		}
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: give true or false", name, v))
	}
	return def
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Postgres reports whether DB names a PostgreSQL server.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// Validate checks the values and returns one error that says what to fix.
func (c *Config) Validate() error {
	errs := append([]error(nil), c.envErrs...)
	if c.PublicBurst < 1 && c.PublicRate > 0 {
		errs = append(errs, fmt.Errorf("--public-burst %d: give a whole number ≥ 1", c.PublicBurst))
	}
	if strings.TrimSpace(c.DB) == "" {
		errs = append(errs, errors.New("--db is empty: give a SQLite file path or a postgres:// URL"))
	} else if strings.Contains(c.DB, "://") && !c.Postgres() {
		errs = append(errs, fmt.Errorf("--db %q: unsupported scheme; use a file path for SQLite or postgres://user@host:port/db", redact(c.DB)))
	}
	if c.SQLiteCache < 0 || c.SQLiteMMap < 0 || c.SQLiteWAL < 0 {
		errs = append(errs, errors.New("--sqlite-cache, --sqlite-mmap and --sqlite-wal: give a size ≥ 0"))
	}
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: use text or json", c.LogFormat))
	}
	if _, err := ParsePrefixes(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	if c.serve && c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: give host:port (e.g. 127.0.0.1:9464), or empty to serve no metrics", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, fmt.Errorf("--metrics-addr %q is the main address: metrics are served on an address of their own", c.MetricsAddr))
		}
	}
	if c.serve && c.UploadIdle < time.Second {
		errs = append(errs, fmt.Errorf("--upload-idle-timeout %s: give at least 1s", c.UploadIdle))
	}
	if c.ingest && c.MaxRejectRows < 1 {
		errs = append(errs, fmt.Errorf("--max-reject-rows %d: give a whole number ≥ 1", c.MaxRejectRows))
	}
	if c.CatalogDir != "" {
		if st, err := os.Stat(c.CatalogDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("--catalog-dir %q is not a directory", c.CatalogDir))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New("bad configuration: " + strings.Join(msgs, "; "))
}

// Level parses LogLevel.
func (c *Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// Logger builds the slog logger the configuration asks for, writing to stderr.
func (c *Config) Logger() *slog.Logger { return c.LoggerTo(os.Stderr) }

// KeyFile is where the embedded store keeps its generated data key: beside
// the database, so that copying the data directory keeps the data readable.
func (c *Config) KeyFile() string {
	return filepath.Join(filepath.Dir(c.DB), "xinyong.key")
}

// CalendarPath is where administrators' calendar years are kept:
// CalendarDir, else calendar/ beside the SQLite file (with the rest of
// the data), else ./calendar.
func (c *Config) CalendarPath() string {
	switch {
	case strings.TrimSpace(c.CalendarDir) != "":
		return c.CalendarDir
	case c.Postgres():
		return "calendar"
	}
	return filepath.Join(filepath.Dir(c.DB), "calendar")
}

// DefaultSpoolDir is where a node on PostgreSQL spools uploads when
// SpoolDir is not set.
const DefaultSpoolDir = "data/spool"

// SpoolPath is where uploads are spooled: SpoolDir, else spool/ beside the
// SQLite file (with the rest of the data), else DefaultSpoolDir.
func (c *Config) SpoolPath() string {
	switch {
	case strings.TrimSpace(c.SpoolDir) != "":
		return c.SpoolDir
	case c.Postgres():
		return DefaultSpoolDir
	}
	return filepath.Join(filepath.Dir(c.DB), "spool")
}

// DefaultIndexDir is where a node on PostgreSQL keeps its index
// snapshot when IndexDir is not set.
const DefaultIndexDir = "data/index"

// IndexPath is the directory of the name index's snapshot: IndexDir,
// else index/ beside the SQLite file, or DefaultIndexDir with PostgreSQL;
// "" when IndexDir is "off".
func (c *Config) IndexPath() string {
	switch d := strings.TrimSpace(c.IndexDir); {
	case d == "off":
		return ""
	case d != "":
		return d
	case c.Postgres():
		return DefaultIndexDir
	}
	return filepath.Join(filepath.Dir(c.DB), "index")
}

// redact hides a password in a URL for error messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return dsn[:scheme+3] + userinfo[:i] + ":***" + dsn[at:]
	}
	return dsn
}

// Redacted returns DB with any password hidden, for logs.
func (c *Config) Redacted() string { return redact(c.DB) }

// Proxies is TrustedProxies parsed (Validate has checked it).
func (c *Config) Proxies() []netip.Prefix {
	p, _ := ParsePrefixes(c.TrustedProxies)
	return p
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes ("10.0.0.0/8, 192.168.1.10"); an address alone is a /32 or
// /128. The empty string gives none.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR prefix", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
