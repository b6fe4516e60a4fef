package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/xinyong/xinyong/internal/credit"
)

// Accounts returns every account, ordered by name.
func (s *Store) Accounts(ctx context.Context) ([]credit.Account, error) {
	const op = "store.Accounts"
	rows, err := s.r.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY name`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

const apiKeyCols = `id, account_id, hash, prefix, created_at, revoked`

func scanAPIKey(row scanner) (*credit.APIKey, error) {
	var (
		k       credit.APIKey
		created sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.AccountID, &k.Hash, &k.Prefix, &created, &k.Revoked); err != nil {
		return nil, err
	}
	k.Created = fromMicros(created)
	return &k, nil
}

// APIKeys returns an account's keys, revoked ones too, newest first.
func (s *Store) APIKeys(ctx context.Context, accountID string) ([]credit.APIKey, error) {
	const op = "store.APIKeys"
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC, id`, accountID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// APIKey returns one key by ID, revoked or not.
func (s *Store) APIKey(ctx context.Context, id string) (*credit.APIKey, error) {
	const op = "store.APIKey"
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "API key %s not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return k, nil
}
