package auth

import (
	"context"

	"github.com/xinyong/xinyong/internal/credit"
)

// KeyStore is what key administration reads and writes.
type KeyStore interface {
	credit.AccountStore
	credit.AdminStore
}

// RevokeKey revokes the API key id: it stops authenticating once the
// nodes' key caches (KeyCache, a second) have let it go. The key stays in
// the list, revoked. Revoking a revoked key is Conflict.
func RevokeKey(ctx context.Context, st KeyStore, id string) (*credit.APIKey, *credit.Account, error) {
	const op = "auth.RevokeKey"
	k, err := st.APIKey(ctx, id)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, nil, credit.Say(op, credit.NotFound, "没有API密钥%s", "no API key %s", id)
		}
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	acc, err := st.AccountByID(ctx, k.AccountID)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	if k.Revoked {
		return nil, nil, credit.Say(op, credit.Conflict, "API密钥%s已吊销", "API key %s is already revoked", id)
	}
	k.Revoked = true
	if err := st.PutAPIKey(ctx, k); err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	return k, acc, nil
}

// SetDisabled disables or re-enables the named account. A disabled
// account's sessions and keys stop working (Authenticator refuses them);
// nothing is deleted.
func SetDisabled(ctx context.Context, st credit.AccountStore, name string, disabled bool) (*credit.Account, error) {
	const op = "auth.SetDisabled"
	acc, err := st.Account(ctx, name)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, credit.Say(op, credit.NotFound, "没有账号%s", "no account %s", name)
		}
		return nil, credit.Wrap(op, credit.Other, err)
	}
	acc.Disabled = disabled
	if err := st.PutAccount(ctx, acc); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return acc, nil
}
