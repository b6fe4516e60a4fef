package api

import (
	"net/http"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// Administration: the accounts, their API keys (listed without secrets,
// revoked), and disabling an account. Creating accounts and issuing keys
// are in the main table; a business key's matters in sanction.go; the
// calendar's years in workflow.go.

func (a *API) adminRoutes() []Route {
	admin := credit.RoleAdmin
	p := Prefix
	return []Route{
		{Method: "GET", Path: p + "/accounts", Roles: roles(admin, credit.RoleAuditor), Action: "account.list",
			Summary: "Every account: name, role, department or subject, disabled", Handler: a.listAccounts},
		{Method: "GET", Path: p + "/accounts/{name}/keys", Roles: roles(admin, credit.RoleAuditor), Action: "account.key.list",
			Summary: "An account's API keys, revoked ones too (prefix and dates; never the secret)", Handler: a.listKeys},
		{Method: "DELETE", Path: p + "/keys/{id}", Roles: roles(admin), Audited: true, Action: "account.key.revoke",
			Summary: "Revoke an API key (it stops working within the nodes' one-second key cache); it stays listed, revoked", Handler: a.revokeKey},
		{Method: "PUT", Path: p + "/accounts/{name}/disabled", Roles: roles(admin), Audited: true, Action: "account.disable",
			Summary: "Disable (true) or re-enable (false) an account: its sessions and keys stop working; nothing is deleted", Handler: a.disableAccount},
	}
}

func (a *API) listAccounts(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	accs, err := a.cfg.Store.Accounts(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if accs == nil {
		accs = []credit.Account{}
	}
	return http.StatusOK, map[string]any{"accounts": accs}, nil
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	name := r.PathValue("name")
	c.Target = "account:" + clip(name, 64)
	acc, err := a.cfg.Store.Account(r.Context(), name)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return 0, nil, credit.Say("api.listKeys", credit.NotFound, "没有账号%s", "no account %s", clip(name, 64))
		}
		return 0, nil, err
	}
	ks, err := a.cfg.Store.APIKeys(r.Context(), acc.ID)
	if err != nil {
		return 0, nil, err
	}
	if ks == nil {
		ks = []credit.APIKey{}
	}
	return http.StatusOK, map[string]any{"account": acc.Name, "keys": ks}, nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	c.Target = "key:" + clip(id, 64)
	k, acc, err := auth.RevokeKey(r.Context(), a.cfg.Store, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"account": acc.Name, "key": k}, nil
}

func (a *API) disableAccount(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	name := r.PathValue("name")
	c.Target = "account:" + clip(name, 64)
	var body struct {
		Disabled *bool `json:"disabled"`
	}
	if err := decode(w, r, &body); err != nil {
		return 0, nil, err
	}
	if body.Disabled == nil {
		return 0, nil, credit.Say("api.disableAccount", credit.Invalid, "请求体须为 {\"disabled\": true|false}", "the body must be {\"disabled\": true|false}")
	}
	if c.P.Account != nil && c.P.Account.Name == name && *body.Disabled {
		return 0, nil, credit.Say("api.disableAccount", credit.Conflict, "不能停用自己的账号", "an administrator cannot disable its own account")
	}
	acc, err := auth.SetDisabled(r.Context(), a.cfg.Store, name, *body.Disabled)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, acc, nil
}
