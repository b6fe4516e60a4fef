package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// AddLoginFailures records one failed login under each key.
func (s *Store) AddLoginFailures(ctx context.Context, at time.Time, keys ...string) error {
	const op = "store.AddLoginFailures"
	if len(keys) == 0 {
		return nil
	}
	us := stamp(at).UnixMicro()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`, k, us); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// LoginFailures returns key's failures after since, newest first.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error) {
	const op = "store.LoginFailures"
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3`,
		key, since.UnixMicro(), limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, time.UnixMicro(us).UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ClearLoginFailures forgets key's failures.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return s.fail("store.ClearLoginFailures", err)
	}
	return nil
}

// LoginFailureKeys returns the keys under prefix with at least atLeast
// failures after since, in byte order.
func (s *Store) LoginFailureKeys(ctx context.Context, prefix string, since time.Time, atLeast int) ([]string, error) {
	const op = "store.LoginFailureKeys"
	// Compared by substr rather than LIKE, so that '_' and '%' in a
	// prefix are plain characters.
	rows, err := s.r.QueryContext(ctx, `SELECT key FROM login_failures WHERE at > $1 AND substr(key, 1, $2) = $3
		GROUP BY key HAVING count(*) >= $4 ORDER BY key LIMIT 1000`, since.UnixMicro(), len([]rune(prefix)), prefix, max(atLeast, 1))
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	slices.Sort(out) // in byte order, whatever the database's collation
	return out, nil
}

// PruneLoginFailures forgets failures at or before before.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= $1`, before.UnixMicro())
	if err != nil {
		return 0, s.fail("store.PruneLoginFailures", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

var _ credit.LoginFailureStore = (*Store)(nil)
