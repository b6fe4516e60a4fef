package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// Grants are subjects' authorisations of institutions (授权查询): a subject
// gives an institution leave to read its data for one purpose, within a
// scope (report kinds, or catalogue items), for a time (at most a year:
// 国办发〔2020〕49号 forbids 一次授权、终身使用) and a number of uses; it sees
// and revokes its grants. An institution reads a subject's non-public data
// only under a grant, and every use is checked here: the one home of the
// rule.
type Grants struct {
	Store interface {
		credit.GrantStore
		AccountByID(ctx context.Context, id string) (*credit.Account, error)
		Account(ctx context.Context, name string) (*credit.Account, error)
	}
	Catalog *catalog.Catalog
	Now     func() time.Time
}

func (g *Grants) now() time.Time {
	if g.Now != nil {
		return g.Now().UTC()
	}
	return time.Now().UTC()
}

// GrantRequest is what a subject grants.
type GrantRequest struct {
	// Recipient is the institution's account name.
	Recipient string   `json:"recipient"`
	Purpose   string   `json:"purpose"`
	ScopeKind string   `json:"scope_kind"`
	Scope     []string `json:"scope"`
	// Days is how long the grant lasts from now (the rules' default when
	// 0); MaxUses how many reads it allows.
	Days    int `json:"days"`
	MaxUses int `json:"max_uses"`
}

// Give records a subject's grant.
func (g *Grants) Give(ctx context.Context, p Principal, req GrantRequest) (*credit.Grant, error) {
	const op = "auth.Grants.Give"
	if p.Role != credit.RoleSubject || p.Account == nil || p.Account.Subject == "" {
		return nil, credit.Say(op, credit.Permission, "只有信用主体本人可以授权", "only the subject itself gives authorisations")
	}
	rules := g.Catalog.Reports.GrantRules
	rec, err := g.Store.Account(ctx, strings.TrimSpace(req.Recipient))
	if err != nil || rec.Role != credit.RoleInstitution || rec.Disabled {
		return nil, credit.Say(op, credit.Invalid, "“%s”不是平台的接入机构账号", "%q is not an access institution's account on the platform", clipName(req.Recipient))
	}
	pu, err := g.Catalog.Purpose(req.Purpose)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	if !pu.For(catalog.UseGrant) {
		return nil, credit.Say(op, credit.Invalid, "“%s”不是可授权的查询用途", "%s is not a purpose an institution may be authorised for", pu.Name)
	}
	scope := slices.Compact(slices.Sorted(slices.Values(req.Scope)))
	if len(scope) == 0 {
		return nil, credit.Say(op, credit.Invalid, "请选择授权范围", "choose what the grant covers (scope)")
	}
	switch req.ScopeKind {
	case credit.ScopeReports:
		for _, code := range scope {
			k, err := g.Catalog.ReportKind(code)
			if err != nil {
				return nil, credit.Wrap(op, credit.Invalid, err)
			}
			if !k.Grant || !k.MayRequest(credit.RoleInstitution) {
				return nil, credit.Say(op, credit.Invalid, "%s不能授权机构查询", "%s is not a report an institution may be authorised for", k.Name)
			}
		}
	case credit.ScopeItems:
		for _, code := range scope {
			if _, err := g.Catalog.Item(code); err != nil {
				return nil, credit.Wrap(op, credit.Invalid, err)
			}
		}
	default:
		return nil, credit.Say(op, credit.Invalid, "授权范围须为信用报告种类（reports）或信息项（items）", "the scope is report kinds (reports) or catalogue items (items)")
	}
	days := req.Days
	if days == 0 {
		days = rules.DefaultDays
	}
	if days < 1 || days > rules.MaxDays {
		return nil, credit.Say(op, credit.Invalid, "授权期限须为1至%d天：不得一次授权、终身使用", "a grant lasts 1 to %d days: no lifetime grants", rules.MaxDays)
	}
	if req.MaxUses < 1 || req.MaxUses > rules.MaxUses {
		return nil, credit.Say(op, credit.Invalid, "授权次数须为1至%d次", "a grant allows 1 to %d uses", rules.MaxUses)
	}
	now := g.now()
	gr := &credit.Grant{ID: credit.NewID(), SubjectID: p.Account.Subject, Recipient: rec.ID, RecipientName: rec.Name, Purpose: pu.Code,
		ScopeKind: req.ScopeKind, Scope: scope, ValidFrom: now, ValidUntil: now.AddDate(0, 0, days), MaxUses: req.MaxUses,
		Created: now, CreatedBy: p.Name()}
	if err := g.Store.PutGrant(ctx, gr); err != nil {
		return nil, err
	}
	return gr, nil
}

func clipName(s string) string {
	if rs := []rune(strings.TrimSpace(s)); len(rs) > 40 {
		return string(rs[:40]) + "…"
	}
	return strings.TrimSpace(s)
}

// Revoke revokes one of the subject's own grants.
func (g *Grants) Revoke(ctx context.Context, p Principal, id, reason string) error {
	const op = "auth.Grants.Revoke"
	gr, err := g.Store.Grant(ctx, id)
	if err != nil || p.Role != credit.RoleSubject || p.Account == nil || gr.SubjectID != p.Account.Subject {
		return credit.Say(op, credit.NotFound, "没有编号为%s的授权", "no grant %s", clipName(id))
	}
	if gr.Revoked() {
		return credit.Say(op, credit.Conflict, "该授权已于%s撤销", "the grant was revoked on %s", chinatime.Format(gr.RevokedAt))
	}
	return g.Store.RevokeGrant(ctx, id, p.Name(), strings.TrimSpace(reason), g.now())
}

// Mine lists the grants a subject gave, or an institution holds, newest
// first.
func (g *Grants) Mine(ctx context.Context, p Principal) ([]credit.Grant, error) {
	const op = "auth.Grants.Mine"
	switch {
	case p.Account == nil:
	case p.Role == credit.RoleSubject && p.Account.Subject != "":
		return g.Store.Grants(ctx, credit.GrantFilter{SubjectID: p.Account.Subject})
	case p.Role == credit.RoleInstitution:
		return g.Store.Grants(ctx, credit.GrantFilter{Recipient: p.Account.ID})
	}
	return nil, credit.Say(op, credit.Permission, "只有信用主体和接入机构有授权", "only subjects and institutions have grants")
}

// Refusal reasons of a grant's use.
const (
	RefuseUnknown    = "unknown"
	RefuseForeign    = "foreign"
	RefuseRevoked    = "revoked"
	RefuseExpired    = "expired"
	RefuseNotYet     = "not_yet"
	RefuseUsedUp     = "used_up"
	RefuseOutOfScope = "out_of_scope"
)

// GrantRefused is a refused use of a grant, with its reason code.
type GrantRefused struct {
	Reason string
	Err    error
}

func (e *GrantRefused) Error() string { return e.Err.Error() }
func (e *GrantRefused) Unwrap() error { return e.Err }

// Need is what an institution asks a grant for: a report of a kind, or
// the records of the items in the grant's scope.
type Need struct {
	Report string
	Data   bool
}

// Use checks that the institution p may read subject's data under grant
// id for need, and counts the use. Every refusal is a *GrantRefused of
// kind Permission saying why (unknown, another institution's or another
// subject's, revoked, expired, used up, out of scope); the caller audits
// it. An empty subject means the grant's own: an institution holding a
// grant need not repeat whose it is.
func (g *Grants) Use(ctx context.Context, p Principal, id, subject string, need Need) (*credit.Grant, error) {
	const op = "auth.Grants.Use"
	refuse := func(reason, zh, en string, args ...any) error {
		return &GrantRefused{Reason: reason, Err: credit.Say(op, credit.Permission, zh, en, args...)}
	}
	if p.Role != credit.RoleInstitution || p.Account == nil {
		return nil, refuse(RefuseForeign, "只有接入机构凭授权查询", "only access institutions read under a grant")
	}
	if strings.TrimSpace(id) == "" {
		return nil, refuse(RefuseUnknown, "接入机构须凭信用主体的授权查询：请提供授权编号（grant_id）", "an access institution reads under the subject's grant: give its ID (grant_id)")
	}
	gr, err := g.Store.Grant(ctx, strings.TrimSpace(id))
	if credit.Is(credit.NotFound, err) {
		return nil, refuse(RefuseUnknown, "授权%s不存在", "there is no grant %s", clipName(id))
	}
	if err != nil {
		return nil, err
	}
	now := g.now()
	check := func(gr *credit.Grant) error {
		switch {
		case gr.Recipient != p.Account.ID:
			return refuse(RefuseForeign, "授权%s不是授予贵机构的", "grant %s was not given to your institution", gr.ID)
		case subject != "" && gr.SubjectID != subject:
			return refuse(RefuseForeign, "授权%s不是该信用主体给予的", "grant %s was not given by this subject", gr.ID)
		case gr.Revoked():
			return refuse(RefuseRevoked, "授权%s已于%s被信用主体撤销", "grant %s was revoked by the subject on %s", gr.ID, chinatime.Format(gr.RevokedAt))
		case now.Before(gr.ValidFrom):
			return refuse(RefuseNotYet, "授权%s自%s起生效", "grant %s takes effect on %s", gr.ID, chinatime.Format(gr.ValidFrom))
		case !now.Before(gr.ValidUntil):
			return refuse(RefuseExpired, "授权%s已于%s到期", "grant %s expired on %s", gr.ID, chinatime.Format(gr.ValidUntil.Add(-time.Nanosecond)))
		case gr.Uses >= gr.MaxUses:
			return refuse(RefuseUsedUp, "授权%s的%d次查询已用完", "grant %s: its %d uses are used up", gr.ID, gr.MaxUses)
		}
		switch {
		case need.Report != "" && (gr.ScopeKind != credit.ScopeReports || !slices.Contains(gr.Scope, need.Report)):
			return refuse(RefuseOutOfScope, "授权%s不包括%s", "grant %s does not cover %s", gr.ID, g.kindName(need.Report))
		case need.Data && gr.ScopeKind != credit.ScopeItems:
			return refuse(RefuseOutOfScope, "授权%s只允许出具信用报告，不包括查询信用档案明细", "grant %s covers reports only, not reading the records", gr.ID)
		}
		return nil
	}
	if err := check(gr); err != nil {
		return gr, err
	}
	used, err := g.Store.UseGrant(ctx, gr.ID, now)
	if credit.Is(credit.Conflict, err) && used != nil {
		// Another use or a revocation came first: say which.
		if err := check(used); err != nil {
			return used, err
		}
		return used, refuse(RefuseUsedUp, "授权%s的%d次查询已用完", "grant %s: its %d uses are used up", gr.ID, gr.MaxUses)
	}
	if err != nil {
		return nil, err
	}
	return used, nil
}

func (g *Grants) kindName(code string) string {
	if k, err := g.Catalog.ReportKind(code); err == nil {
		return k.Name
	}
	return code
}
