// Package api is the JSON HTTP API under /api/v1.
//
// Every operation is a row of the route table (Routes): its method, path,
// the roles that may call it, whether it is a non-public read that needs a
// stated purpose and leaves an audit entry. One wrapper enforces the table;
// handlers never check roles, only scope (a department writes for itself,
// a subject reads itself). A request that matches no row is refused: 404,
// or 405 when the path exists with other methods.
package api

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
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
	"github.com/xinyong/xinyong/internal/workflow"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Config is what the API needs.
type Config struct {
	// Exchange serves the feeds (GET /api/v1/feeds/{feed}); nil answers
	// them with Unavailable.
	Exchange *exchange.Service
	Store    credit.Store
	Catalog  *catalog.Catalog
	Records  *records.Service
	// Sealer opens sealed ID numbers; nil when no data key is configured,
	// in which case identity reads fail as Unavailable.
	Sealer *pii.Sealer
	Logger *slog.Logger
	Now    func() time.Time
	// Workflow runs objections and repairs; nil builds one over Store.
	Workflow *workflow.Service
	// CalendarDir is where administrators' calendar years are saved.
	CalendarDir string
	// Sanction serves lists, the hit check and feedback; nil answers those
	// routes with Unavailable.
	Sanction *sanction.Service
	// Publish decides what each caller sees of a record; nil builds one
	// over Catalog and Now. Marks feeds it workflow marks (nil: none).
	Publish *publish.Engine
	Marks   publish.MarkSource
	// Search is the name index; nil answers searches by a store scan.
	Search *search.Index
	// LoginGuard limits failed logins; share one with the portal. nil
	// builds one with the defaults.
	LoginGuard *auth.LoginGuard
	// MaxUpload bounds an uploaded batch file, in bytes (DefaultMaxUpload
	// when 0); MaxRejectRows caps the rejected rows stored per batch
	// (ingest.DefaultMaxRejectRows when 0).
	MaxUpload     int64
	MaxRejectRows int
	// Commit serves commitments and self-declared information; nil
	// answers those routes with Unavailable.
	Commit *commit.Service
	// SpoolDir is where uploaded batch files wait while they are imported
	// (files named SpoolPrefix*); empty: the system's temporary directory.
	// `serve` puts it under the data directory and empties it at start.
	SpoolDir string
	// Reports issues, serves and verifies credit reports, keeps the
	// subjects' grants and the transparency log; nil answers those routes
	// with Unavailable.
	Reports *report.Platform
	// Monitor serves the monitoring series; nil answers them with
	// Unavailable.
	Monitor *monitor.Service
}

// keyCacheTTL is how long a node trusts an API key it has checked: a
// revoked key or a disabled account is refused everywhere within it.
const keyCacheTTL = time.Second

// API serves /api/v1.
type API struct {
	cfg      Config
	auth     *auth.Authenticator
	accounts *auth.Accounts
	audit    *auth.Auditor
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []Route
}

// Handler serves one route. It may set headers on w (a cookie) but does
// not write the body: it returns the status and the value to encode, so
// that the wrapper can write the audit entry before any data leaves, and
// refuse to send it if the entry cannot be written.
type Handler func(w http.ResponseWriter, r *http.Request, c *Call) (status int, body any, err error)

// Route is one row of the route table.
type Route struct {
	Method string
	Path   string // a ServeMux pattern path, also the OpenAPI path
	// Roles may call the route. The public role stands for anonymous
	// callers; a route open to everyone lists every role.
	Roles []credit.Role
	// Purpose marks a non-public read: the caller must state a purpose
	// (X-Purpose header or ?purpose=) and the read is audited.
	Purpose bool
	// Audited routes leave an audit entry when they succeed (decisions:
	// registrations, reports, corrections, accounts, keys).
	Audited bool
	// Action names the operation in the audit log.
	Action  string
	Summary string
	Handler Handler
}

// Call is what the wrapper learned about a request, handed to the handler.
type Call struct {
	P auth.Principal
	// Purpose is the stated purpose on Purpose routes.
	Purpose string
	// Target is the audit target; the handler sets it (a subject or
	// record ID) and it defaults to the request path.
	Target string
	// Audit is set by a handler to audit a read on a route that is not
	// audited in general (a staff member reading a natural person).
	Audit bool
	// Detail is whose data the call concerned, under which grant and on
	// which basis: the handler sets it, and the audit entry records it
	// (the subject's "who read my data" page reads it back).
	Detail auth.Detail
}

// Roles used in the table.
var (
	everyone = credit.Roles
	signedIn = []credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept, credit.RoleBusiness,
		credit.RoleInstitution, credit.RoleAuditor, credit.RoleSubject}
)

// New builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Records == nil || cfg.Publish == nil || cfg.LoginGuard == nil || cfg.Workflow == nil {
		return nil, errors.New("api: Store, Catalog, Records, Publish, LoginGuard and Workflow are required (internal/app builds them)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &API{
		cfg:      cfg,
		auth:     &auth.Authenticator{Store: cfg.Store, Now: cfg.Now, Keys: &auth.KeyCache{TTL: keyCacheTTL}},
		accounts: &auth.Accounts{Store: cfg.Store, Now: cfg.Now, Guard: cfg.LoginGuard},
		audit:    &auth.Auditor{Store: cfg.Store, Logger: cfg.Logger, Now: cfg.Now},
		log:      cfg.Logger,
		mux:      http.NewServeMux(),
	}
	a.routes = a.table()
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt))
	}
	return a, nil
}

// Routes returns the route table.
func (a *API) Routes() []Route { return slices.Clone(a.routes) }

// ServeHTTP routes a request under /api/v1 through the table. ServeMux's own
// 404 and 405 answers are plain text; they are turned into the API's JSON
// errors here, keeping the Allow header that tells a client which methods
// the path does have.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern == "" {
		h, _ := a.mux.Handler(r)
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
				Kind:    credit.Invalid.String(),
				Message: pii.RedactIDs(r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + probe.header.Get("Allow")),
			}})
			return
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			// ServeMux cleans paths (//, ..) by redirecting; keep that.
			w.Header().Set("Location", probe.header.Get("Location"))
			w.WriteHeader(probe.status)
			return
		}
		writeError(w, r, a.log, credit.Say("api", credit.NotFound, "没有该接口：%s %s", "no such API operation: %s %s", r.Method, r.URL.Path))
		return
	}
	a.mux.ServeHTTP(w, r)
}

// headerProbe captures what a ServeMux fallback handler would answer,
// without sending it.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// wrap is the one place where the table is enforced: authenticate, check
// the role, require the purpose, run the handler, audit, answer. Every
// refusal (no or bad credentials, wrong role, missing purpose, out of
// scope) is audited as denied.
func (a *API) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		remote := httpx.RemoteIP(r)
		p, err := a.auth.Authenticate(r)
		if err != nil {
			if k := credit.KindOf(err); k == credit.Unauthenticated || k == credit.Permission {
				a.audit.Denied(ctx, p, rt.Action, r.URL.Path, "", remote)
			}
			writeError(w, r, a.log, err)
			return
		}
		if p.Via == "session" && !auth.SafeMethod(r.Method) {
			// The browser sends the session cookie whichever page makes
			// the request: a write under it must come from this site.
			if same, _ := auth.SameOrigin(r); !same {
				a.audit.Denied(ctx, p, rt.Action, r.URL.Path, "", remote)
				writeError(w, r, a.log, refuse("api", credit.Permission,
					"已拒绝跨站请求：以登录会话（Cookie）发出的修改请求须来自本平台的页面（Origin 或 Referer 为本站）。程序调用请使用 API 密钥",
					"cross-site request refused: a change made under the session cookie must come from this site's pages (Origin or Referer naming this site); programs use an API key"))
				return
			}
		}
		var text *jsonText
		if r.Body != nil && r.Body != http.NoBody && isJSON(r.Header.Get("Content-Type")) {
			text = newJSONText(r.Body)
			r.Body = readCloser{text, r.Body}
		}
		if !slices.Contains(rt.Roles, p.Role) {
			a.audit.Denied(ctx, p, rt.Action, r.URL.Path, "", remote)
			if !p.Authenticated() {
				writeError(w, r, a.log, credit.Say("api", credit.Unauthenticated, "调用 %s %s 须先登录或提供API密钥", "sign in or send an API key to %s %s", rt.Method, rt.Path))
			} else {
				writeError(w, r, a.log, credit.Say("api", credit.Permission, "角色%s无权调用 %s %s", "role %s may not %s %s", p.Role, rt.Method, rt.Path))
			}
			return
		}
		c := &Call{P: p, Target: r.URL.Path}
		if rt.Purpose {
			c.Purpose, err = requirePurpose(r, p, rt.Method, rt.Path)
			if err != nil {
				a.audit.Denied(ctx, p, rt.Action, r.URL.Path, "", remote)
				writeError(w, r, a.log, err)
				return
			}
		}
		status, body, err := rt.Handler(w, r, c)
		if bt := (*badText)(nil); err != nil && text != nil && errors.As(text.err, &bt) {
			// Whatever the handler made of the failed read, the body was
			// refused for not being text.
			err = textError("api", bt)
		}
		if err != nil {
			// A login refused while the account or address is locked out
			// (RateLimited) is a refusal like the others.
			if k := credit.KindOf(err); k == credit.Unauthenticated || k == credit.Permission || k == credit.RateLimited {
				a.audit.DeniedWith(ctx, c.P, rt.Action, c.Target, c.Purpose, remote, c.Detail)
			}
			writeError(w, r, a.log, err)
			return
		}
		// c.P rather than p: signing in changes who the caller is, and the
		// entry should name the account that signed in.
		if rt.Purpose || rt.Audited || c.Audit {
			if rt.Purpose && c.Detail.Basis == "" {
				c.Detail.Basis = string(c.P.Role) // the role's read basis (catalogue read_bases)
			}
			if err := a.audit.ReadWith(ctx, c.P, rt.Action, c.Target, c.Purpose, remote, c.Detail); err != nil {
				w.Header().Del("Set-Cookie") // an unlogged sign-in must not take effect
				writeError(w, r, a.log, err)
				return
			}
		}
		writeJSON(w, status, body)
	})
}

// isJSON reports whether a Content-Type names JSON (application/json or
// any +json type).
func isJSON(ct string) bool {
	mt, err := mediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// mediaType is mime.ParseMediaType's media type, without its parameter
// parsing (and allocation) for the plain "application/json" most calls
// send.
func mediaType(ct string) (string, error) {
	if ct == "application/json" {
		return ct, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	return mt, err
}

// readCloser reads through r and closes the original body.
type readCloser struct {
	io.Reader
	io.Closer
}

// maxPurpose bounds a stated purpose, in characters.
const maxPurpose = 200

// requirePurpose reads the purpose a read of non-public data must state,
// refusing the read without one. A subject reading its own file (the
// handler enforces "own") has an evident purpose and need not state one.
func requirePurpose(r *http.Request, p auth.Principal, method, path string) (string, error) {
	purpose, err := statedPurpose(r)
	if err == nil && purpose == "" && p.Role == credit.RoleSubject {
		purpose = "subject reading its own file"
	}
	if err == nil && purpose == "" {
		err = credit.Say("api", credit.Invalid, "%s %s 读取非公开信息：请在 X-Purpose 请求头或 purpose 查询参数中说明查询用途",
			"%s %s reads non-public data: state the purpose in the X-Purpose header or the purpose query parameter", method, path)
	}
	return purpose, err
}

// statedPurpose reads the purpose from X-Purpose (percent-decoded, since
// header values are ASCII and purposes are usually Chinese) or ?purpose=.
func statedPurpose(r *http.Request) (string, error) {
	p := r.Header.Get("X-Purpose")
	if p != "" {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	} else {
		p = r.URL.Query().Get("purpose")
	}
	p = strings.TrimSpace(p)
	if !utf8.ValidString(p) {
		return "", credit.Say("api", credit.Invalid, "查询用途不是有效的UTF-8文本", "the stated purpose is not valid UTF-8")
	}
	if utf8.RuneCountInString(p) > maxPurpose {
		return "", credit.Say("api", credit.Invalid, "查询用途超过%d个字符", "the stated purpose is longer than %d characters", maxPurpose)
	}
	return p, nil
}

// now is the API's clock.
func (a *API) now() time.Time { return a.cfg.Now().UTC() }
