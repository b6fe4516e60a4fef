package sqlstore

import (
	"context"
	"database/sql"
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
