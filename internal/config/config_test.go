package config

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEnvThenFlag(t *testing.T) {
	t.Setenv("XINYONG_DB", "/tmp/from-env.db")
	t.Setenv("XINYONG_LOG_LEVEL", "debug")
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.Register(fs)
	if err := fs.Parse([]string{"--log-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	if c.DB != "/tmp/from-env.db" {
		t.Errorf("DB = %q, want the environment's value", c.DB)
	}
	if c.LogLevel != "warn" {
		t.Errorf("LogLevel = %q, want the flag's value", c.LogLevel)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want string // substring of the error; "" for none
	}{
		{"default ok", Config{DB: DefaultDB, LogLevel: "info", LogFormat: "text"}, ""},
		{"postgres ok", Config{DB: "postgres://u@h/db", LogLevel: "info", LogFormat: "json"}, ""},
		{"empty db", Config{DB: " ", LogLevel: "info", LogFormat: "text"}, "--db is empty"},
		{"mysql", Config{DB: "mysql://u:secret@h/db", LogLevel: "info", LogFormat: "text"}, "unsupported scheme"},
		{"bad level", Config{DB: "x.db", LogLevel: "loud", LogFormat: "text"}, `--log-level "loud"`},
		{"bad format", Config{DB: "x.db", LogLevel: "info", LogFormat: "xml"}, `--log-format "xml"`},
		{"bad catalog dir", Config{DB: "x.db", LogLevel: "info", LogFormat: "text", CatalogDir: "/nonexistent/dir"}, "not a directory"},
		{"proxies ok", Config{DB: "x.db", LogLevel: "info", LogFormat: "text", TrustedProxies: "10.0.0.0/8, 127.0.0.1"}, ""},
		{"bad proxy", Config{DB: "x.db", LogLevel: "info", LogFormat: "text", TrustedProxies: "10.0.0.0/8, lb.internal"}, `--trusted-proxies: "lb.internal"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "secret") {
				t.Fatalf("error must be one line without secrets: %q", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	if got := redact("postgres://alice:pw@db:5432/x"); got != "postgres://alice:***@db:5432/x" {
		t.Fatalf("redact = %q", got)
	}
	if got := redact("data/x.db"); got != "data/x.db" {
		t.Fatalf("redact = %q", got)
	}
}

func TestPublicRate(t *testing.T) {
	for _, c := range []struct {
		env, args []string
		rate      float64
		burst     int
		bad       string
	}{
		{nil, nil, 5, 30, ""},
		{[]string{"XINYONG_PUBLIC_RATE", "2.5", "XINYONG_PUBLIC_BURST", "10"}, nil, 2.5, 10, ""},
		{[]string{"XINYONG_PUBLIC_RATE", "2.5"}, []string{"--public-rate", "0"}, 0, 30, ""},
		{[]string{"XINYONG_PUBLIC_RATE", "fast"}, nil, 5, 30, "XINYONG_PUBLIC_RATE"},
		{nil, []string{"--public-burst", "0"}, 5, 0, "--public-burst"},
	} {
		t.Run(strings.Join(append(c.env, c.args...), " "), func(t *testing.T) {
			for i := 0; i < len(c.env); i += 2 {
				t.Setenv(c.env[i], c.env[i+1])
			}
			var cfg Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.Register(fs)
			cfg.RegisterServe(fs)
			// --help prints the default in force (the environment's).
			var help strings.Builder
			fs.SetOutput(&help)
			fs.PrintDefaults()
			def := 5.0
			if len(c.env) >= 2 && c.env[0] == "XINYONG_PUBLIC_RATE" {
				def, _ = strconv.ParseFloat(c.env[1], 64)
			}
			if want := fmt.Sprintf("(default %g)", def); c.bad == "" && !strings.Contains(help.String(), want) {
				t.Errorf("help lacks %q:\n%s", want, help.String())
			}
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Errorf("env %v args %v: error %v, want one naming %s", c.env, c.args, err, c.bad)
				}
				return
			}
			if err != nil || cfg.PublicRate != c.rate || cfg.PublicBurst != c.burst {
				t.Errorf("env %v args %v: rate %v burst %d err %v", c.env, c.args, cfg.PublicRate, cfg.PublicBurst, err)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes(" 10.0.0.0/8, 192.168.1.10 ,::ffff:172.16.0.1, 2001:db8::/32,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.10/32"),
		netip.MustParsePrefix("172.16.0.1/32"), netip.MustParsePrefix("2001:db8::/32")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("prefix %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if p, err := ParsePrefixes(""); err != nil || len(p) != 0 {
		t.Errorf("empty: %v, %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "10.0.0.1/8/1", "10.0.0"} {
		if _, err := ParsePrefixes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGCTarget(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
		pct  int
		set  bool
		bad  string
	}{
		{nil, nil, 0, true, ""}, // auto
		{[]string{"GOGC", "200"}, []string{"--gc-percent", "auto"}, 0, true, ""}, // auto given stands over GOGC
		{[]string{"GOGC", "200"}, nil, 0, false, ""},                             // the runtime's own knob stands
		{[]string{"GOGC", "200"}, []string{"--gc-percent", "50"}, 50, true, ""},  // unless the flag is given
		{[]string{"GOGC", "200", "XINYONG_GC_PERCENT", "40"}, nil, 40, true, ""}, // or ours in the environment
		{[]string{"XINYONG_GC_PERCENT", "40"}, []string{"--gc-percent", "10"}, 10, true, ""},
		{[]string{"XINYONG_GC_PERCENT", "off"}, nil, 0, true, "XINYONG_GC_PERCENT"},
		{nil, []string{"--gc-percent", "0"}, 0, false, "gc-percent"},
	} {
		t.Run(strings.Join(append(c.env, c.args...), " "), func(t *testing.T) {
			t.Setenv("GOGC", "")
			os.Unsetenv("GOGC")
			for i := 0; i < len(c.env); i += 2 {
				t.Setenv(c.env[i], c.env[i+1])
			}
			var cfg Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg.Register(fs)
			cfg.RegisterServe(fs)
			err := fs.Parse(c.args)
			if err == nil {
				err = cfg.Validate()
			}
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Fatalf("err = %v, want one naming %s", err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pct, set := cfg.GCTarget()
			if pct != c.pct || set != c.set {
				t.Fatalf("GCTarget() = %d, %v; want %d, %v", pct, set, c.pct, c.set)
			}
		})
	}
}

func TestGCPercentHelp(t *testing.T) {
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterServe(fs)
	var help strings.Builder
	fs.SetOutput(&help)
	fs.PrintDefaults()
	if !strings.Contains(help.String(), "-gc-percent percent") || !strings.Contains(help.String(), "(default auto)") {
		t.Fatalf("--help does not show --gc-percent's default:\n%s", help.String())
	}
}

// TestServeLimits: the metrics address, secure cookies, upload limit,
// idle timeout and reject cap come from flags over the environment over
// the defaults, and bad values are refused with the flag's name.
func TestServeLimits(t *testing.T) {
	for _, c := range []struct {
		name      string
		env, args []string
		check     func(*Config) bool
		bad       string
	}{
		{"defaults", nil, nil, func(c *Config) bool {
			return c.MetricsAddr == "127.0.0.1:9464" && !c.SecureCookies && c.MaxUpload == 200<<20 &&
				c.UploadIdle == 30*time.Second && c.MaxRejectRows == 10000
		}, ""},
		{"environment", []string{"XINYONG_METRICS_ADDR=", "XINYONG_SECURE_COOKIES=true", "XINYONG_MAX_UPLOAD=1GiB",
			"XINYONG_UPLOAD_IDLE_TIMEOUT=2m", "XINYONG_MAX_REJECT_ROWS=50"}, nil, func(c *Config) bool {
			return c.MetricsAddr == "" && c.SecureCookies && c.MaxUpload == 1<<30 && c.UploadIdle == 2*time.Minute && c.MaxRejectRows == 50
		}, ""},
		{"flags over environment", []string{"XINYONG_MAX_UPLOAD=1GiB", "XINYONG_METRICS_ADDR=10.0.0.5:9464"},
			[]string{"--max-upload", "512KiB", "--metrics-addr", "127.0.0.1:9999", "--secure-cookies"}, func(c *Config) bool {
				return c.MaxUpload == 512<<10 && c.MetricsAddr == "127.0.0.1:9999" && c.SecureCookies
			}, ""},
		{"plain bytes and short units", nil, []string{"--max-upload", "1048576"}, func(c *Config) bool { return c.MaxUpload == 1<<20 }, ""},
		{"short unit", nil, []string{"--max-upload", "3M"}, func(c *Config) bool { return c.MaxUpload == 3<<20 }, ""},
		{"bad size in env", []string{"XINYONG_MAX_UPLOAD=lots"}, nil, nil, "XINYONG_MAX_UPLOAD"},
		{"bad size flag", nil, []string{"--max-upload", "-5MiB"}, nil, "-max-upload"},
		{"bad metrics addr", nil, []string{"--metrics-addr", "metrics"}, nil, "--metrics-addr"},
		{"metrics on the main address", nil, []string{"--metrics-addr", "127.0.0.1:8080"}, nil, "main address"},
		{"idle too short", nil, []string{"--upload-idle-timeout", "10ms"}, nil, "--upload-idle-timeout"},
		{"no reject rows", nil, []string{"--max-reject-rows", "0"}, nil, "--max-reject-rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, kv := range c.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			var cfg Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg.Register(fs)
			cfg.RegisterServe(fs)
			err := fs.Parse(c.args)
			if err == nil {
				err = cfg.Validate()
			}
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Fatalf("err = %v, want it to mention %q", err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(&cfg) {
				t.Fatalf("config %+v", cfg)
			}
		})
	}
}

func TestSpoolPath(t *testing.T) {
	for _, c := range []struct {
		db, env, flag, want string
	}{
		{DefaultDB, "", "", "data/spool"},
		{"/srv/xy/credit.db", "", "", "/srv/xy/spool"},
		{"postgres://u@db/x", "", "", DefaultSpoolDir},
		{"postgres://u@db/x", "/var/spool/xinyong", "", "/var/spool/xinyong"},
		{"/srv/xy/credit.db", "/from/env", "/from/flag", "/from/flag"},
	} {
		t.Setenv("XINYONG_SPOOL_DIR", c.env)
		var cfg Config
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		cfg.Register(fs)
		cfg.RegisterServe(fs)
		args := []string{"--db", c.db}
		if c.flag != "" {
			args = append(args, "--spool-dir", c.flag)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if got := cfg.SpoolPath(); got != c.want {
			t.Errorf("db %q env %q flag %q: SpoolPath = %q, want %q", c.db, c.env, c.flag, got, c.want)
		}
	}
}
