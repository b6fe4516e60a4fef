// Package web is the portal: server-rendered pages for the public (search,
// a subject's page) and a small console for signed-in staff. Chinese first,
// English on request. No JavaScript: the pages must work on any office
// machine and any old browser a county desk may have.
//
// What the public sees is deliberately narrow until the publication engine
// exists: organisations' registration data only, no records, and no natural
// persons at all.
package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/monitor"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the portal needs.
type Config struct {
	// Exchange is shown on the exchange console (/console/exchange); nil:
	// the page says the node exchanges nothing.
	Exchange *exchange.Service
	Store    credit.Store
	Catalog  *catalog.Catalog
	Logger   *slog.Logger
	Now      func() time.Time
	Version  string
	// Workflow serves the objection and repair pages; nil leaves them out.
	Workflow *workflow.Service
	// Records reads credit files; Publish decides what each viewer sees of
	// them (nil: built over Catalog and Now); Marks feeds workflow marks;
	// Search is the name index (nil: a store scan).
	Records *records.Service
	Publish *publish.Engine
	Marks   publish.MarkSource
	Search  *search.Index
	// Sanction serves the list and check-statistics pages (optional).
	Sanction *sanction.Service
	// LoginGuard limits failed logins; share one with the API. nil builds
	// one with the defaults.
	LoginGuard *auth.LoginGuard
	// MaxUpload bounds a form with files, in bytes (api.DefaultMaxUpload
	// when 0).
	MaxUpload int64
	// Commit serves the commitment and self-declaration pages; nil leaves
	// them out.
	Commit *commit.Service
	// Reports serves the report, authorisation, "who read my data" and
	// verification pages and the published keys (nil leaves them out).
	Reports *report.Platform
	// Monitor serves the monitoring page (/console/monitor); nil leaves
	// it out.
	Monitor *monitor.Service
	// OIDC signs companies and persons in through an identity provider
	// (nil: password accounts only); Sealer finds persons by the ID
	// number the provider vouches for.
	OIDC   *auth.OIDC
	Sealer *pii.Sealer
	// CalendarDir is where the calendar years administrators add are
	// saved (the API's calendar directory).
	CalendarDir string
}

// Portal serves the HTML pages.
type Portal struct {
	cfg      Config
	log      *slog.Logger
	auth     *auth.Authenticator
	accounts *auth.Accounts
	audit    *auth.Auditor
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

var pageNames = []string{"home", "search", "subject", "login", "console", "error", "lists", "quality"}

// New builds the portal, parsing every template up front so that a broken
// template fails at start-up, not on a citizen's request.
func New(cfg Config) (*Portal, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Records == nil || cfg.Publish == nil || cfg.Marks == nil || cfg.LoginGuard == nil {
		return nil, errors.New("web: Store, Catalog, Records, Publish, Marks and LoginGuard are required (internal/app builds them)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Portal{
		cfg:      cfg,
		log:      cfg.Logger,
		auth:     &auth.Authenticator{Store: cfg.Store, Now: cfg.Now},
		accounts: &auth.Accounts{Store: cfg.Store, Now: cfg.Now, Guard: cfg.LoginGuard},
		audit:    &auth.Auditor{Store: cfg.Store, Logger: cfg.Logger, Now: cfg.Now},
		pages:    make(map[string]*template.Template),
		mux:      http.NewServeMux(),
	}
	for _, name := range pageNames {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/entries.html", "templates/selfservice.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	p.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	p.mux.HandleFunc("GET /{$}", p.home)
	p.mux.HandleFunc("GET /search", p.search)
	p.mux.HandleFunc("GET /subjects/{id}", p.subject)
	p.mux.HandleFunc("GET /subjects/{id}/file", p.file)
	p.mux.HandleFunc("GET /lists/{kind}", p.list)
	p.mux.HandleFunc("GET /login", p.loginForm)
	p.mux.HandleFunc("POST /login", p.login)
	p.mux.HandleFunc("POST /logout", p.logout)
	p.mux.HandleFunc("GET /console", p.console)
	p.mux.HandleFunc("POST /console/accounts/{name}/unlock", p.unlock)
	if cfg.Workflow != nil {
		if err := p.wfRoutes(); err != nil {
			return nil, err
		}
	}
	if cfg.Commit != nil {
		if err := p.cmRoutes(); err != nil {
			return nil, err
		}
	}
	p.mux.HandleFunc("GET /console/quality", p.quality)
	p.mux.HandleFunc("GET /console/exchange", p.exchange)
	if err := p.sanctionRoutes(); err != nil {
		return nil, err
	}
	if cfg.Reports != nil {
		if err := p.reportRoutes(); err != nil {
			return nil, err
		}
	}
	if cfg.Monitor != nil {
		if err := p.monitorRoutes(); err != nil {
			return nil, err
		}
	}
	if err := p.oidcRoutes(); err != nil {
		return nil, err
	}
	if err := p.adminRoutes(); err != nil {
		return nil, err
	}
	p.mux.HandleFunc("/", p.notFound)
	return p, nil
}

// ServeHTTP serves a portal page.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No scripts at all, no framing (clickjacking on the login form), and
	// no leaking of search terms (names) to other sites through Referer.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	// Every post carries its form's token and, when it says where it
	// comes from, comes from this site. The session cookie is
	// SameSite=Lax already; this also covers the login form itself (login
	// CSRF), sibling sites and old browsers without SameSite.
	if !auth.SafeMethod(r.Method) {
		if !p.checkForm(w, r) {
			return
		}
		if r.MultipartForm != nil {
			// The server removes the temporary files of the request it
			// read, not of the copies the middleware made.
			defer r.MultipartForm.RemoveAll()
		}
	}
	if !p.gate(w, r) {
		return
	}
	p.mux.ServeHTTP(w, r)
}

// --- language ---

const langCookie = "lang"

// language picks the page language: ?lang= (remembered in a cookie), then
// the cookie, then Chinese.
func language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.SecureCookie(r),
		})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	return "zh"
}

// toggleURL is the current page in the other language.
func toggleURL(r *http.Request, other string) string {
	q := r.URL.Query()
	for k, vs := range q {
		for i := range vs {
			vs[i] = pii.RedactIDs(vs[i]) // the link is on the page: no ID numbers
		}
		q[k] = vs
	}
	q.Set("lang", other)
	path := pii.RedactIDs(r.URL.Path)
	if strings.HasPrefix(path, "//") {
		path = "/" // "//host" in an href would leave the site
	}
	if r.Method != http.MethodGet {
		// A re-rendered form (failed login) toggles to the form page, not
		// to a POST-only URL.
		q = url.Values{"lang": {other}}
	}
	return path + "?" + q.Encode()
}

// --- view model ---

type view struct {
	Lang, HTMLLang, OtherLang string
	T                         map[string]string
	// N names the platform's codes in the page's language.
	N         names
	Title     string
	Toggle    string
	Account   *credit.Account
	RoleName  string
	Version   string
	RequestID string

	Query   string
	Results []credit.Subject
	Subject *subjectPage
	Tabs    []tab
	// Sections are the subject page's tabs as the publication engine
	// fills them; File marks the complete-file view; List is a list page.
	Sections []sectionView
	File     bool
	FileLink string // the complete-file page, for viewers entitled to it
	List     []listRow
	Pager    *pager
	Error    string
	Next     string
	Name     string
	Counts   *counts
	WF       *wfView
	Quality  *qualityPage
	// Sanction holds the 联合奖惩 console pages' data.
	Sanction *sanctionPage
	// Lockouts are the accounts locked after failed logins, on an
	// administrator's console.
	Lockouts []lockoutRow
	// CM holds the commitment and self-declaration pages' data;
	// Declarations the subject page's self-declared information, shown
	// apart from the records and labelled.
	CM           *cmView
	Declarations []declRow
	// Rep holds the credit report, authorisation, "who read my data" and
	// verification pages' data.
	Rep *reportsView
	// Exchange is the exchange console's data.
	Exchange *exchangePage
	// Monitor is the monitoring page's data.
	Monitor *monitorPage
	// MonitorRanked names the ranked indicators (the ranking's columns).
	MonitorRanked []string
	// Act is the self-service explanation page; SelfLinks the public
	// subject page's self-service links; OIDC and OIDCLabel offer the
	// identity provider's sign-in; Admin the administration pages; Nav
	// the console's links for the viewer's role.
	Act       *actView
	SelfLinks []selfLink
	OIDC      bool
	OIDCLabel string
	Admin     *adminView
	LoginNote string
	Nav       []navGroup
	Figures   []figure

	// csrf issues the form token (auth.CSRFToken) on first use.
	csrf      func() string
	csrfToken string
}

// CSRF is the token the page's forms carry (the csrf template puts it in
// a hidden field). A page that asks for it is never cached: the token is
// this browser's.
func (v *view) CSRF() string {
	if v.csrfToken == "" && v.csrf != nil {
		v.csrfToken = v.csrf()
	}
	return v.csrfToken
}

type subjectPage struct {
	Name     string
	CodeFlag string
	Rows     []row
}

type row struct{ Label, Value string }

type tab struct{ Key, Label string }

type counts struct {
	Subjects, Records, Items int
	Catalog                  string
}

func (p *Portal) newView(w http.ResponseWriter, r *http.Request, pr auth.Principal) *view {
	lang := language(w, r)
	other, htmlLang := "en", "zh-CN"
	if lang == "en" {
		other, htmlLang = "zh", "en"
	}
	v := &view{
		Lang: lang, HTMLLang: htmlLang, OtherLang: other, T: messages[lang],
		Toggle: toggleURL(r, other), Account: pr.Account, Version: p.cfg.Version,
		RequestID: httpx.IDFrom(r.Context()),
	}
	v.RoleName = v.T["role_"+string(pr.Role)]
	if p.cfg.OIDC != nil {
		v.OIDC, v.OIDCLabel = true, p.cfg.OIDC.Label()
	}
	v.N = v.names(p.cfg.Catalog)
	v.csrf = func() string {
		w.Header().Set("Cache-Control", "no-store")
		return auth.CSRFToken(w, r)
	}
	return v
}

// principal is the signed-in account, if any. Credential errors make the
// visitor anonymous: a public page must render whatever cookie a browser
// carries.
func (p *Portal) principal(r *http.Request) auth.Principal {
	pr, err := p.auth.Authenticate(r)
	if err != nil {
		if !credit.Is(credit.Unauthenticated, err) {
			p.log.Warn("portal: authentication failed", "id", httpx.IDFrom(r.Context()), "err", err)
		}
		return auth.Anonymous()
	}
	return pr
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view, fill func(*view)) {
	if fill != nil {
		fill(v)
	}
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.log.Error("portal: render", "id", v.RequestID, "page", page, "err", err)
		http.Error(w, "internal error (request "+v.RequestID+")", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Cookie")
	if v.Account != nil {
		// A signed-in page shows who is signed in, and most show data
		// that is not public: neither the browser's cache nor a proxy
		// keeps it.
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders the error page for err: 404 for NotFound, 503 for anything
// else, with the request ID to quote and the details only in the log.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if credit.Is(credit.NotFound, err) {
		p.render(w, r, http.StatusNotFound, "error", v, func(v *view) {
			v.Title, v.Error, v.RequestID = v.T["not_found_title"], v.T["not_found_body"], ""
		})
		return
	}
	p.log.Error("portal: request failed", "id", v.RequestID, "path", pii.RedactIDs(r.URL.Path), "err", pii.RedactIDs(err.Error()))
	p.render(w, r, http.StatusServiceUnavailable, "error", v, func(v *view) {
		v.Title, v.Error = v.T["error_title"], v.T["error_body"]
	})
}

// --- pages ---

func (p *Portal) notFound(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	p.fail(w, r, v, credit.E("web", credit.NotFound, "no page %s", r.URL.Path))
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	p.render(w, r, http.StatusOK, "home", v, func(v *view) { v.Title = v.T["home_title"] })
}

const searchLimit = 50

func (p *Portal) search(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	v.Title = v.T["search_title"]
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	v.Query = pii.RedactIDs(q) // echoed in the search box: never repeat an ID number
	if q != "" {
		// The portal is a public page whoever is signed in: no persons.
		var (
			subs []credit.Subject
			err  error
		)
		if p.cfg.Search != nil {
			subs, err = p.searchIndex(r.Context(), q)
		} else {
			subs, err = api.Search(r.Context(), p.cfg.Store, q, searchLimit)
		}
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		v.Results = subs
	}
	p.render(w, r, http.StatusOK, "search", v, nil)
}

func (p *Portal) subject(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	v := p.newView(w, r, pr)
	id := r.PathValue("id")
	s, err := p.cfg.Store.Subject(r.Context(), id)
	if err == nil && s.Kind == credit.Person {
		// Natural persons are not published: the same page as an unknown
		// subject, so the portal cannot be used to probe who is registered.
		err = credit.E("web.subject", credit.NotFound, "person")
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = s.Name
	v.Subject = p.subjectPage(s, v)
	v.SelfLinks = v.selfLinks(s.ID)
	// What the public sees is the publication engine's decision, the same
	// for every visitor, signed in or not.
	if v.Sections, err = p.sections(r.Context(), s, publish.Public, v); err != nil {
		p.fail(w, r, v, err)
		return
	}
	if p.cfg.Commit != nil {
		// Self-declared information: its own section, never among the
		// records, labelled on the page.
		ds, err := p.cfg.Commit.PublicDeclarations(r.Context(), s)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		for i := range ds {
			v.Declarations = append(v.Declarations, v.declRow(&ds[i]))
		}
	}
	if (pr.Role == credit.RoleSubject && pr.Account.Subject == s.ID) ||
		pr.Role == credit.RoleAdmin || pr.Role == credit.RoleReviewer || pr.Role == credit.RoleAuditor {
		v.FileLink = "/subjects/" + s.ID + "/file"
	}
	p.render(w, r, http.StatusOK, "subject", v, nil)
}

// subjectPage is the 基本信息 section: registration data only.
func (p *Portal) subjectPage(s *credit.Subject, v *view) *subjectPage {
	T := v.T
	sp := &subjectPage{Name: s.Name, CodeFlag: s.CodeFlag}
	add := func(key, val string) {
		if val != "" {
			sp.Rows = append(sp.Rows, row{Label: T[key], Value: val})
		}
	}
	add("col_name", s.Name)
	add("col_code", s.Code)
	kind := T["kind_org"]
	if s.Kind == credit.IndividualBusiness {
		kind = T["kind_indiv"]
	}
	add("col_kind", kind)
	if s.Code != "" {
		res := uscc.CheckUSCC(s.Code)
		typ := strings.TrimSpace(strings.Trim(res.AuthorityName+" · "+res.EntityTypeName, " ·"))
		add("col_type", typ)
	}
	add("col_legal_rep", s.LegalRep)
	add("col_status", s.Status)
	if !s.RegisteredOn.IsZero() {
		add("col_registered_on", s.RegisteredOn.In(chinatime.Location).Format(time.DateOnly))
	}
	region := s.Region
	if name := uscc.RegionName(s.Region); name != "" {
		region = name + " (" + s.Region + ")"
	}
	add("col_region", region)
	add("col_former", strings.Join(s.FormerNames, "；"))
	return sp
}

func (p *Portal) loginForm(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	next := safeNext(r.URL.Query().Get("next"))
	if pr.Authenticated() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	p.render(w, r, http.StatusOK, "login", v, func(v *view) {
		v.Title, v.Next = v.T["login_title"], next
		if strings.HasPrefix(next, "/my/") {
			v.LoginNote = v.T["login_subject_note"] // a subject's own service: say who signs in
		}
	})
}

func (p *Portal) login(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r, 64<<10) {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	next := safeNext(r.PostForm.Get("next"))
	remote := httpx.RemoteIP(r)
	target := "account:" + name
	if len([]rune(target)) > 72 {
		target = string([]rune(target)[:72])
	}
	token, _, acc, err := p.accounts.Login(r.Context(), name, r.PostForm.Get("password"), remote)
	if err != nil {
		v := p.newView(w, r, auth.Anonymous())
		var locked *auth.LockedOut
		switch {
		case errors.As(err, &locked):
			p.audit.Denied(r.Context(), auth.Anonymous(), "session.create", target, "", remote)
			p.log.Warn("login refused: too many failed logins", "by", locked.By, "remote", remote)
			mins := int(math.Ceil(locked.Wait.Minutes()))
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(locked.Wait.Seconds()))))
			p.render(w, r, http.StatusTooManyRequests, "login", v, func(v *view) {
				v.Title, v.Error, v.Next, v.Name = v.T["login_title"], fmt.Sprintf(v.T["login_locked"], mins), next, name
			})
		case credit.Is(credit.Unauthenticated, err):
			p.audit.Denied(r.Context(), auth.Anonymous(), "session.create", target, "", remote)
			p.render(w, r, http.StatusUnauthorized, "login", v, func(v *view) {
				v.Title, v.Error, v.Next, v.Name = v.T["login_title"], v.T["login_failed"], next, name
			})
		default:
			p.fail(w, r, v, err)
		}
		return
	}
	pr := auth.Principal{Account: acc, Role: acc.Role, Via: "session"}
	if err := p.audit.Read(r.Context(), pr, "session.create", target, "", remote); err != nil {
		p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		return
	}
	auth.SetSessionCookie(w, r, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Portal) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		if err := p.accounts.Logout(r.Context(), c.Value); err != nil {
			p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
			return
		}
	}
	auth.ClearSessionCookie(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *Portal) console(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole", http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	figs, err := p.consoleFigures(r.Context(), pr, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var locks []lockoutRow
	if pr.Role == credit.RoleAdmin {
		if locks, err = p.lockouts(r); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	p.render(w, r, http.StatusOK, "console", v, func(v *view) {
		v.Title, v.Lockouts = v.T["console_title"], locks
		v.Figures, v.Nav = figs, navFor(v.T, pr.Role)
	})
}
