// Package pgtest gives tests a private PostgreSQL schema. It is a package of
// its own so that "testing" never links into the production binary.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is used when XINYONG_TEST_POSTGRES is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestDSN creates a fresh schema xy_test_<random> on the server named by
// XINYONG_TEST_POSTGRES (default DefaultDSN), drops it with CASCADE when
// the test ends, and returns a DSN whose search_path is that schema, so
// concurrent test runs never see each other's tables.
//
// If the server cannot be reached the test is skipped, unless
// XINYONG_REQUIRE_POSTGRES=1, when it fails: CI sets that so a broken
// database cannot turn the PostgreSQL suite into a silent pass.
func TestDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("XINYONG_TEST_POSTGRES")
	if base == "" {
		base = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := connect(ctx, base)
	if err != nil {
		msg := "PostgreSQL not reachable (set XINYONG_TEST_POSTGRES to a DSN; XINYONG_REQUIRE_POSTGRES=1 makes this fatal): " + err.Error()
		if os.Getenv("XINYONG_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer conn.Close(ctx)

	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	schema := "xy_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(base, schema)
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 5 * time.Second
	return pgx.ConnectConfig(ctx, cfg)
}

// WithSearchPath returns dsn with the search_path run-time parameter set to
// schema, in the DSN's own form (URL or key=value). pgx sends unknown DSN
// keys to the server as run-time parameters, so every pooled connection
// starts in the schema without a SET.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}
