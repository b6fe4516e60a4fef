package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

const accountCols = `id, name, display, role, dept, subject, pass_hash, disabled, created_at`

// PutAccount creates or replaces an account, keyed by ID. A different
// account already holding the name is Exists: replacing by name would
// orphan the other account's keys and sessions. A zero Created is set to
// now; on replace the stored creation time is kept and written back.
func (s *Store) PutAccount(ctx context.Context, a *credit.Account) error {
	const op = "store.PutAccount"
	if a == nil || a.ID == "" || a.Name == "" {
		return credit.E(op, credit.Invalid, "account ID and name are required")
	}
	if !a.Role.Valid() {
		return credit.E(op, credit.Invalid, "account %q: unknown role %q", a.Name, a.Role)
	}
	created := stamp(a.Created)
	var createdMicros int64
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		return []change{{kind: credit.ChangeAccount, ref: a.ID, subj: a.Subject}}, tx.QueryRowContext(ctx, `
		INSERT INTO accounts (id, name, display, role, dept, subject, pass_hash, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name, display = excluded.display, role = excluded.role,
			dept = excluded.dept, subject = excluded.subject, pass_hash = excluded.pass_hash,
			disabled = excluded.disabled
		RETURNING created_at`,
			a.ID, a.Name, a.Display, string(a.Role), a.Dept, a.Subject, a.PassHash, a.Disabled, created.UnixMicro(),
		).Scan(&createdMicros)
	})
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "account name %q is taken", a.Name)
		}
		return s.fail(op, err)
	}
	a.Created = time.UnixMicro(createdMicros).UTC()
	return nil
}

// Account returns an account by login name.
func (s *Store) Account(ctx context.Context, name string) (*credit.Account, error) {
	const op = "store.Account"
	a, err := scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "account %q not found", name)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return a, nil
}

// AccountByID returns an account by ID.
func (s *Store) AccountByID(ctx context.Context, id string) (*credit.Account, error) {
	const op = "store.AccountByID"
	a, err := scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "account with ID %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return a, nil
}

func scanAccount(row scanner) (*credit.Account, error) {
	var (
		a       credit.Account
		role    string
		created sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Name, &a.Display, &role, &a.Dept, &a.Subject, &a.PassHash, &a.Disabled, &created); err != nil {
		return nil, err
	}
	a.Role, a.Created = credit.Role(role), fromMicros(created)
	return &a, nil
}

// PutAPIKey stores a key, or replaces it by ID: revoking a key is storing
// it again with Revoked set. A zero Created is set to now and written back.
func (s *Store) PutAPIKey(ctx context.Context, k *credit.APIKey) error {
	const op = "store.PutAPIKey"
	if k == nil || k.ID == "" || k.AccountID == "" || k.Hash == "" {
		return credit.E(op, credit.Invalid, "API key ID, account ID and hash are required")
	}
	created := stamp(k.Created)
	var createdMicros int64
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		return []change{{kind: credit.ChangeAccount, ref: k.AccountID, tg: "key"}}, tx.QueryRowContext(ctx, `
		INSERT INTO api_keys (id, account_id, hash, prefix, created_at, revoked)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET
			account_id = excluded.account_id, hash = excluded.hash,
			prefix = excluded.prefix, revoked = excluded.revoked
		RETURNING created_at`,
			k.ID, k.AccountID, k.Hash, k.Prefix, created.UnixMicro(), k.Revoked,
		).Scan(&createdMicros)
	})
	if err != nil {
		switch s.kindOf(err) {
		case credit.Exists:
			return credit.E(op, credit.Exists, "API key %s: another key has the same secret hash", k.ID)
		case credit.Invalid:
			return credit.E(op, credit.Invalid, "API key %s: account %q does not exist", k.ID, k.AccountID)
		}
		return s.fail(op, err)
	}
	k.Created = time.UnixMicro(createdMicros).UTC()
	return nil
}

// APIKeyByHash returns an unrevoked key by the hash of its secret. A
// revoked key is NotFound, so callers cannot accept it by mistake.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*credit.APIKey, error) {
	const op = "store.APIKeyByHash"
	var (
		k       credit.APIKey
		created sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, account_id, hash, prefix, created_at, revoked
		FROM api_keys WHERE hash = $1 AND NOT revoked`, hash,
	).Scan(&k.ID, &k.AccountID, &k.Hash, &k.Prefix, &created, &k.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "no active API key with that hash")
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	k.Created = fromMicros(created)
	return &k, nil
}

// PutSession stores a session, or renews it (same hash, new expiry).
func (s *Store) PutSession(ctx context.Context, ss *credit.Session) error {
	const op = "store.PutSession"
	if ss == nil || ss.Hash == "" || ss.AccountID == "" || ss.Expires.IsZero() {
		return credit.E(op, credit.Invalid, "session hash, account ID and expiry are required")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (hash, account_id, expires) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO UPDATE SET account_id = excluded.account_id, expires = excluded.expires`,
		ss.Hash, ss.AccountID, ss.Expires.UnixMicro())
	if err != nil {
		if s.kindOf(err) == credit.Invalid {
			return credit.E(op, credit.Invalid, "session: account %q does not exist", ss.AccountID)
		}
		return s.fail(op, err)
	}
	return nil
}

// SessionByHash returns a session that is still valid at now.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (*credit.Session, error) {
	const op = "store.SessionByHash"
	var (
		ss      credit.Session
		expires sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `SELECT hash, account_id, expires FROM sessions WHERE hash = $1 AND expires > $2`,
		hash, now.UnixMicro()).Scan(&ss.Hash, &ss.AccountID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		// Token hashes are not named: they are bearer credentials' digests.
		return nil, credit.E(op, credit.NotFound, "no unexpired session with that token")
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	ss.Expires = fromMicros(expires)
	return &ss, nil
}

// DeleteSession ends a session. Ending one that does not exist is not an
// error: signing out twice, or after expiry clean-up, should just work.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return s.fail("store.DeleteSession", err)
	}
	return nil
}
