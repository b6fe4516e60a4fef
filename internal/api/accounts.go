package api

import (
	"net/http"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// Lockouts: five wrong passwords for an account refuse its password
// logins for a window (auth.LoginGuard), whoever typed them. An
// administrator sees who is locked out and lifts it.

type lockoutView struct {
	Name   string     `json:"name"`
	Locked bool       `json:"locked"`
	Until  *time.Time `json:"until,omitempty"`
}

// lockedAccount finds the named account and its lockout.
func (a *API) lockedAccount(r *http.Request, c *Call) (lockoutView, error) {
	name := r.PathValue("name")
	c.Target = "account:" + clip(name, 64)
	if _, err := a.cfg.Store.Account(r.Context(), name); err != nil {
		if credit.Is(credit.NotFound, err) {
			return lockoutView{}, credit.Say("api.lockout", credit.NotFound, "没有账号%s", "no account %s", clip(name, 64))
		}
		return lockoutView{}, err
	}
	wait, locked, err := a.cfg.LoginGuard.Locked(r.Context(), name)
	if err != nil {
		return lockoutView{}, err
	}
	v := lockoutView{Name: name, Locked: locked}
	if locked {
		until := a.now().Add(wait)
		v.Until = &until
	}
	return v, nil
}

func (a *API) getLockout(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	v, err := a.lockedAccount(r, c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

// unlockAccount lifts the per-account login limit on the account. The
// per-address limit of whoever was guessing stays.
func (a *API) unlockAccount(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	v, err := a.lockedAccount(r, c)
	if err != nil {
		return 0, nil, err
	}
	if err := a.cfg.LoginGuard.Unlock(r.Context(), v.Name); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"name": v.Name, "locked": false, "was_locked": v.Locked}, nil
}

// listLockouts lists the accounts locked out now.
func (a *API) listLockouts(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	ls, err := a.cfg.LoginGuard.LockedOut(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if ls == nil {
		ls = []auth.Lockout{}
	}
	return http.StatusOK, map[string]any{"lockouts": ls}, nil
}
