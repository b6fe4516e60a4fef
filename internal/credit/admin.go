package credit

import "context"

// AdminStore is what the administration console reads: every account
// and an account's API keys (revoked ones too, so that the list shows
// what was issued and when it stopped working).
type AdminStore interface {
	// Accounts returns every account, ordered by name.
	Accounts(ctx context.Context) ([]Account, error)
	// APIKeys returns an account's keys, newest first.
	APIKeys(ctx context.Context, accountID string) ([]APIKey, error)
	// APIKey returns one key by ID; NotFound if absent.
	APIKey(ctx context.Context, id string) (*APIKey, error)
}
