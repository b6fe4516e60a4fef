package config

import (
	"flag"
	"strings"
	"testing"
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
