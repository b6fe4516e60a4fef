package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
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

		{Method: "GET", Path: p + "/catalog/versions", Roles: roles(admin, credit.RoleAuditor), Action: "catalog.version.list",
			Summary: "The catalogue's files in force (version, where read from) and every uploaded version, newest first", Handler: a.listCatalogVersions},
		{Method: "POST", Path: p + "/catalog/files/{file}/versions", Roles: roles(admin), Audited: true, Action: "catalog.version.upload",
			Summary: "Upload a new version of a catalogue file (the JSON file as the body): checked with the rest of the catalogue in force, kept inactive, answered with what it changes", Handler: a.uploadCatalogVersion},
		{Method: "GET", Path: p + "/catalog/versions/{id}", Roles: roles(admin, credit.RoleAuditor), Action: "catalog.version.read",
			Summary: "One uploaded version and what it changes against the file in force", Handler: a.getCatalogVersion},
		{Method: "POST", Path: p + "/catalog/versions/{id}/activation", Roles: roles(admin), Audited: true, Action: "catalog.version.activate",
			Summary: "Activate an uploaded version (checked again); the version active before is kept; nodes load it at their next start", Handler: a.activateCatalogVersion},
	}
}

type catalogFileView struct {
	File    string `json:"file"`
	Version string `json:"version"`
	Source  string `json:"source"`
}

func (a *API) listCatalogVersions(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	vs, err := a.cfg.Store.CatalogVersions(r.Context(), "")
	if err != nil {
		return 0, nil, err
	}
	if vs == nil {
		vs = []credit.CatalogVersion{}
	}
	files := []catalogFileView{}
	for _, f := range catalog.Files() {
		files = append(files, catalogFileView{File: f, Version: a.cfg.Catalog.Versions[f], Source: a.cfg.Catalog.Sources[f]})
	}
	return http.StatusOK, map[string]any{"in_force": files, "versions": vs}, nil
}

func (a *API) uploadCatalogVersion(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	file := r.PathValue("file")
	c.Target = "catalog:" + clip(file, 64)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		return 0, nil, credit.Say("api.uploadCatalogVersion", credit.TooLarge, "目录文件超过4 MiB", "the catalogue file is larger than 4 MiB")
	}
	v, changes, err := catalog.Upload(r.Context(), a.cfg.Store, a.cfg.Catalog, file, body, clip(r.URL.Query().Get("note"), 200), c.P.Name(), a.now())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"version": v, "changes": changes}, nil
}

func (a *API) getCatalogVersion(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	v, err := a.cfg.Store.CatalogVersion(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	changes, err := catalog.Diff(a.cfg.Catalog.Raw(v.File), v.Content)
	if err != nil {
		return 0, nil, err
	}
	if changes == nil {
		changes = []catalog.Change{}
	}
	return http.StatusOK, map[string]any{"version": v, "changes": changes, "content": json.RawMessage(v.Content)}, nil
}

func (a *API) activateCatalogVersion(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	c.Target = "catalog-version:" + clip(id, 64)
	v, err := catalog.Activate(r.Context(), a.cfg.Store, a.cfg.Catalog, id, c.P.Name(), a.now())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"version": v, "note": "in force from each node's next start"}, nil
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
