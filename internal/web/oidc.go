package web

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/pii"
)

// Signing in as a subject: companies and persons sign in through the
// identity provider (auth.OIDC) and land on their subject's account; the
// public subject page's self-service links (异议, 信用修复, 信用报告,
// 信用承诺) lead the signed-out visitor to a page that says what the
// service is, who may use it and how to sign in, and back afterwards.

// oidcCookie keeps a sign-in under way (auth.Pending) while the browser is
// at the provider; only the callback reads it.
const (
	oidcCookie = "xinyong_oidc"
	oidcPath   = "/login/oidc"
)

// selfServices are the self-service actions a public subject page offers,
// each with the page of the signed-in subject it leads to.
var selfServices = []struct{ Key, Target string }{
	{"objection", "/my/cases"},
	{"repair", "/my/cases"},
	{"reports", "/my/reports"},
	{"commitments", "/my/commitments"},
}

func selfServiceTarget(key string) (string, bool) {
	for _, s := range selfServices {
		if s.Key == key {
			return s.Target, true
		}
	}
	return "", false
}

// actView is the self-service explanation page's data.
type actView struct {
	SubjectID, SubjectName string
	Action                 string // objection, repair, reports, commitments
	Here                   string // this page, to come back to after sign-in
	OIDC                   bool   // the identity provider's sign-in is offered
	OIDCLabel              string
	// Other is set when the visitor is signed in as someone who may not
	// act for this subject.
	Other bool
}

// selfLink is one self-service link on the public subject page.
type selfLink struct{ Href, Label string }

func (p *Portal) oidcRoutes() error {
	t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/act.html")
	if err != nil {
		return err
	}
	p.pages["act"] = t
	p.mux.HandleFunc("GET /subjects/{id}/act/{action}", p.act)
	if p.cfg.OIDC != nil {
		p.mux.HandleFunc("GET "+oidcPath, p.oidcBegin)
		p.mux.HandleFunc("GET "+oidcPath+"/callback", p.oidcCallback)
	}
	return nil
}

// selfLinks are the public subject page's self-service links for
// subject id (organisations only: persons have no public page).
func (v *view) selfLinks(id string) []selfLink {
	out := make([]selfLink, 0, len(selfServices))
	for _, s := range selfServices {
		out = append(out, selfLink{Href: "/subjects/" + url.PathEscape(id) + "/act/" + s.Key, Label: v.T["act_"+s.Key]})
	}
	return out
}

// act is a self-service link of the public subject page: the subject's
// own account goes on to its page; anyone else is told what the service
// is and how to sign in as the subject, and comes back here afterwards.
func (p *Portal) act(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	v := p.newView(w, r, pr)
	target, ok := selfServiceTarget(r.PathValue("action"))
	if !ok {
		p.fail(w, r, v, credit.E("web.act", credit.NotFound, "no action %q", r.PathValue("action")))
		return
	}
	s, err := p.cfg.Store.Subject(r.Context(), r.PathValue("id"))
	if err == nil && s.Kind == credit.Person {
		err = credit.E("web.act", credit.NotFound, "person") // as the subject page
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if pr.Role == credit.RoleSubject && pr.Account.Subject == s.ID {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	av := &actView{SubjectID: s.ID, SubjectName: s.Name, Action: r.PathValue("action"),
		Here: r.URL.EscapedPath(), OIDC: p.cfg.OIDC != nil, Other: pr.Authenticated()}
	if p.cfg.OIDC != nil {
		av.OIDCLabel = p.cfg.OIDC.Label()
	}
	p.render(w, r, http.StatusOK, "act", v, func(v *view) { v.Title, v.Act = v.T["act_"+av.Action], av })
}

// oidcBegin sends the browser to the identity provider.
func (p *Portal) oidcBegin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	u, pd, err := p.cfg.OIDC.Begin(r.Context(), next)
	if err != nil {
		p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: oidcCookie, Value: auth.EncodePending(pd), Path: oidcPath, MaxAge: 600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.SecureCookie(r),
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// oidcCallback is where the provider sends the browser back: the ID
// token is verified, its subject found and the subject's account signed
// in. Failures are audited and shown on the login page.
func (p *Portal) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	remote := httpx.RemoteIP(r)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcPath, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.SecureCookie(r)})
	var pd auth.Pending
	if c, err := r.Cookie(oidcCookie); err == nil {
		pd, _ = auth.DecodePending(c.Value)
	}
	next := safeNext(pd.Next)
	refuse := func(status int, err error) {
		p.audit.Denied(ctx, auth.Anonymous(), "session.create", "oidc", "", remote)
		p.log.Warn("portal: identity provider sign-in refused", "id", httpx.IDFrom(ctx), "err", pii.RedactIDs(err.Error()))
		v := p.newView(w, r, auth.Anonymous())
		p.render(w, r, status, "login", v, func(v *view) {
			v.Title, v.Next, v.Error = v.T["login_title"], next, v.T["oidc_failed"]
			if msg := credit.Chinese(err); msg != "" && v.Lang != "en" {
				v.Error += "：" + msg
			}
		})
	}
	if e := r.URL.Query().Get("error"); e != "" {
		refuse(http.StatusUnauthorized, credit.E("web.oidc", credit.Unauthenticated, "the identity provider answered %q", e))
		return
	}
	id, err := p.cfg.OIDC.Finish(ctx, pd, r.URL.Query().Get("state"), r.URL.Query().Get("code"))
	if err != nil {
		if credit.Is(credit.Unavailable, err) {
			p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
			return
		}
		refuse(http.StatusUnauthorized, err)
		return
	}
	s, err := auth.IdentitySubject(ctx, p.cfg.Store, p.cfg.Sealer, id)
	if err != nil {
		switch credit.KindOf(err) {
		case credit.NotFound, credit.Invalid:
			refuse(http.StatusForbidden, err)
		default:
			p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		}
		return
	}
	token, acc, err := p.accounts.SignInSubject(ctx, id.Issuer, s)
	if err != nil {
		if credit.Is(credit.Unauthenticated, err) || credit.Is(credit.Conflict, err) {
			refuse(http.StatusForbidden, err)
			return
		}
		p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		return
	}
	pr := auth.Principal{Account: acc, Role: acc.Role, Via: "session"}
	if err := p.audit.Read(ctx, pr, "session.create", "oidc:"+acc.Name, "", remote); err != nil {
		p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		return
	}
	auth.SetSessionCookie(w, r, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}
