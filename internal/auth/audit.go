package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// Audit outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
)

// Auditor writes the query and decision log: who read what non-public
// data, when and for what stated purpose, and every refused request.
type Auditor struct {
	Store  credit.AuditStore
	Logger *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
}

func (a *Auditor) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Auditor) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Auditor) entry(p Principal, action, target, purpose, remote, outcome string, d Detail) *credit.AuditEntry {
	role := p.Role
	if role == "" {
		role = credit.RolePublic
	}
	return &credit.AuditEntry{
		ID: credit.NewID(), At: a.now(), Actor: p.Name(), Role: role,
		Action: action, Target: pii.RedactIDs(target), Purpose: pii.RedactIDs(purpose), Outcome: outcome, Remote: remote,
		Subject: d.Subject, Grant: d.Grant, Basis: d.Basis, // a subject ID found in the store, never a typed ID number
	}
}

// Detail says whose data a read or decision concerned, under which grant
// and on which basis (a read basis's role, or "grant"): what the
// subject's "who read my data" page shows.
type Detail struct {
	Subject, Grant, Basis string
}

// Read records a read of non-public data, or a decision (a write), that
// succeeded. It must be called before the data leaves the platform: when
// the entry cannot be written the error is returned and the caller must not
// hand the data out, because a read that leaves no trace is exactly what
// the log exists to prevent.
func (a *Auditor) Read(ctx context.Context, p Principal, action, target, purpose, remote string) error {
	return a.ReadWith(ctx, p, action, target, purpose, remote, Detail{})
}

// ReadWith is Read with the read's subject, grant and basis.
func (a *Auditor) ReadWith(ctx context.Context, p Principal, action, target, purpose, remote string, d Detail) error {
	e := a.entry(p, action, target, purpose, remote, OutcomeOK, d)
	if err := a.Store.AppendAudit(ctx, e); err != nil {
		a.logger().Error("audit write failed", "actor", e.Actor, "action", action, "target", e.Target, "err", err)
		return credit.Wrap("auth.Audit", credit.Unavailable, err)
	}
	return nil
}

// Denied records a refused request. The refusal stands whether or not the
// entry is written, so a failure is logged rather than returned. The entry
// is written with a context detached from the request's, so that a client
// hanging up does not erase the trace of its attempt.
func (a *Auditor) Denied(ctx context.Context, p Principal, action, target, purpose, remote string) {
	a.DeniedWith(ctx, p, action, target, purpose, remote, Detail{})
}

// DeniedWith is Denied with the request's subject, grant and basis (a
// refused grant's reason).
func (a *Auditor) DeniedWith(ctx context.Context, p Principal, action, target, purpose, remote string, d Detail) {
	e := a.entry(p, action, target, purpose, remote, OutcomeDenied, d)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.Store.AppendAudit(ctx, e); err != nil {
		a.logger().Error("audit write failed", "actor", e.Actor, "action", action, "target", e.Target, "outcome", OutcomeDenied, "err", err)
		return
	}
	a.logger().Info("request denied", "actor", e.Actor, "role", string(e.Role), "action", action, "target", e.Target, "remote", remote)
}
