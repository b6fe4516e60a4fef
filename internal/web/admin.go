package web

import (
	"context"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workday"
)

// --- the console's pages by role: one table ---

// consolePage is a page the console links to, with the roles that may
// open it. The table is the one home of who sees which console page: the
// console's links are drawn from it, and the portal's gate (gate) refuses
// the page to every other role before its handler runs, so a role never
// sees a link that answers 403.
type consolePage struct {
	Path  string // the page, without query
	Query string // added to the link
	Label string // message key
	Group string // navigation group (message key nav_group_<Group>)
	Roles []credit.Role
}

var (
	roleStaff = []credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept}
)

func rolesOf(rs ...credit.Role) []credit.Role { return rs }

// consolePages is the table. The queues' roles are the workflow's and the
// commitment service's (staffOnly, staffOrAuditor); the lists',
// checks', quality and exchange pages' those their handlers serve.
var consolePages = []consolePage{
	{Path: "/my/cases", Label: "nav_my_cases", Group: "self", Roles: rolesOf(credit.RoleSubject)},
	{Path: "/my/commitments", Label: "nav_my_commitments", Group: "self", Roles: rolesOf(credit.RoleSubject)},
	{Path: "/my/declarations", Label: "nav_my_declarations", Group: "self", Roles: rolesOf(credit.RoleSubject)},
	{Path: "/my/reports", Label: "nav_reports", Group: "self", Roles: rolesOf(credit.RoleSubject)},
	{Path: "/my/grants", Label: "nav_grants", Group: "self", Roles: rolesOf(credit.RoleSubject)},
	{Path: "/my/reads", Label: "nav_reads", Group: "self", Roles: rolesOf(credit.RoleSubject)},

	{Path: "/console/cases", Query: "?kind=objection", Label: "queue_title_objection", Group: "work", Roles: roleStaff},
	{Path: "/console/cases", Query: "?kind=repair", Label: "queue_title_repair", Group: "work", Roles: roleStaff},
	{Path: "/console/cases", Query: "?kind=bankruptcy", Label: "queue_title_bankruptcy", Group: "work", Roles: roleStaff},
	{Path: "/console/commitments", Label: "cm_queue_title", Group: "work", Roles: roleStaff},
	{Path: "/console/commitments/stats", Label: "cm_stats_title", Group: "work", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept, credit.RoleAuditor)},
	{Path: "/console/declarations", Label: "decl_queue_title", Group: "work", Roles: roleStaff},

	{Path: "/console/lists", Label: "nav_lists", Group: "lists", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept, credit.RoleAuditor)},
	{Path: "/console/checks", Label: "nav_checks", Group: "lists", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleBusiness)},

	{Path: "/console/quality", Label: "quality_title", Group: "data", Roles: roleStaff},
	{Path: "/console/exchange", Label: "xc_title", Group: "data", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor)},
	{Path: "/console/reports", Label: "console_reports", Group: "data", Roles: rolesOf(credit.RoleAdmin)},
	{Path: "/console/evaluation", Label: "evc_title", Group: "lists", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleDept)},
	{Path: "/console/monitor", Label: "nav_monitor", Group: "data", Roles: rolesOf(credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleDept)},

	{Path: "/console/admin/accounts", Label: "adm_accounts_title", Group: "admin", Roles: rolesOf(credit.RoleAdmin)},
	{Path: "/console/admin/departments", Label: "adm_depts_title", Group: "admin", Roles: rolesOf(credit.RoleAdmin)},
	{Path: "/console/admin/calendar", Label: "adm_calendar_title", Group: "admin", Roles: rolesOf(credit.RoleAdmin)},
	{Path: "/console/site", Label: "site_console", Group: "admin", Roles: rolesOf(credit.RoleAdmin)},
	{Path: "/console/admin/catalog", Label: "adm_catalog_title", Group: "admin", Roles: rolesOf(credit.RoleAdmin)},

	// Open to everyone.
	{Path: "/api/v1/openapi.json", Label: "console_api", Group: "tools", Roles: credit.Roles},
	{Path: "/verify", Label: "nav_verify", Group: "tools", Roles: credit.Roles},
}

// navGroups orders the console's groups.
var navGroups = []string{"self", "work", "lists", "data", "admin", "tools"}

type navLink struct{ Href, Label string }

type navGroup struct {
	Label string
	Links []navLink
}

// pageRoles returns the roles that may open path by the table, and
// whether the table has the path at all.
func pageRoles(path string) ([]credit.Role, bool) {
	for _, pg := range consolePages {
		if pg.Path == path {
			return pg.Roles, true
		}
	}
	if strings.HasPrefix(path, "/console/admin/") {
		return rolesOf(credit.RoleAdmin), true // every administration page and form
	}
	return nil, false
}

// navFor is the console's links for role, grouped: only the pages the
// table lets it open.
func navFor(T map[string]string, role credit.Role) []navGroup {
	var out []navGroup
	for _, g := range navGroups {
		ng := navGroup{Label: T["nav_group_"+g]}
		for _, pg := range consolePages {
			if pg.Group == g && slices.Contains(pg.Roles, role) {
				ng.Links = append(ng.Links, navLink{Href: pg.Path + pg.Query, Label: T[pg.Label]})
			}
		}
		if len(ng.Links) > 0 {
			out = append(out, ng)
		}
	}
	return out
}

// gate answers a request for a page of the table that the caller may
// not open: a signed-out visitor is sent to sign in and back, a
// signed-in one gets 403. It returns false when it answered.
func (p *Portal) gate(w http.ResponseWriter, r *http.Request) bool {
	roles, ok := pageRoles(r.URL.Path)
	if !ok || strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	pr := p.principal(r)
	if slices.Contains(roles, pr.Role) {
		return true
	}
	if !pr.Authenticated() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return false
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false
	}
	p.audit.Denied(r.Context(), pr, "page.open", r.URL.Path, "", httpx.RemoteIP(r))
	v := p.newView(w, r, pr)
	p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"] })
	return false
}

// --- the console's figures by role ---

// figure is one number on the console.
type figure struct {
	N     string
	Label string
	Href  string
}

// consoleFigures are the numbers the console shows the role: the platform's
// to the credit office, administrators and auditors; a department its
// own data's; a subject its own cases, reports and grants; the others
// none beyond the catalogue's version.
func (p *Portal) consoleFigures(ctx context.Context, pr auth.Principal, v *view) ([]figure, error) {
	T := v.T
	num := func(n int) string { return strconv.Itoa(n) }
	switch pr.Role {
	case credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor:
		ns, err := p.cfg.Store.CountSubjects(ctx)
		if err != nil {
			return nil, err
		}
		nr, err := p.cfg.Store.CountRecords(ctx)
		if err != nil {
			return nil, err
		}
		return []figure{{N: num(ns), Label: T["console_subjects"]}, {N: num(nr), Label: T["console_records"]},
			{N: num(len(p.cfg.Catalog.Items)), Label: T["console_items"]}, {N: p.cfg.Catalog.Version, Label: T["console_catalog"]}}, nil
	case credit.RoleDept:
		qs, err := p.cfg.Store.Quality(ctx)
		if err != nil {
			return nil, err
		}
		out := []figure{{N: "0", Label: T["console_dept_batches"], Href: "/console/quality"}, {N: "0", Label: T["console_dept_accepted"], Href: "/console/quality"}}
		for _, q := range qs {
			if q.Dept != pr.Account.Dept {
				continue
			}
			qq := ingest.QualityOf(q)
			out = []figure{{N: num(q.Batches), Label: T["console_dept_batches"], Href: "/console/quality"},
				{N: num(q.Counts.Accepted), Label: T["console_dept_accepted"], Href: "/console/quality"},
				{N: pct(qq.Timeliness), Label: T["quality_timeliness"], Href: "/console/quality"},
				{N: pct(qq.ErrorRate), Label: T["quality_error_rate"], Href: "/console/quality"}}
		}
		if p.cfg.Workflow != nil {
			open, err := p.cfg.Workflow.Queue(ctx, "", pr.Account.Dept)
			if err != nil {
				return nil, err
			}
			out = append(out, figure{N: num(len(open)), Label: T["console_dept_cases"], Href: "/console/cases?kind=objection"})
		}
		return out, nil
	case credit.RoleSubject:
		sid := pr.Account.Subject
		var out []figure
		if p.cfg.Workflow != nil {
			hist, err := p.cfg.Workflow.History(ctx, sid)
			if err != nil {
				return nil, err
			}
			out = append(out, figure{N: num(len(hist)), Label: T["console_my_cases"], Href: "/my/cases"})
		}
		if p.cfg.Reports != nil {
			rs, err := p.cfg.Store.Reports(ctx, credit.ReportFilter{SubjectID: sid})
			if err != nil {
				return nil, err
			}
			gs, err := p.cfg.Reports.Grants.Mine(ctx, pr)
			if err != nil {
				return nil, err
			}
			out = append(out, figure{N: num(len(rs)), Label: T["console_my_reports"], Href: "/my/reports"},
				figure{N: num(len(gs)), Label: T["console_my_grants"], Href: "/my/grants"})
		}
		return out, nil
	}
	return []figure{{N: p.cfg.Catalog.Version, Label: T["console_catalog"]}}, nil
}

// --- administration pages ---

var adminPages = []string{"admin_accounts", "admin_account", "admin_calendar", "admin_depts", "admin_catalog", "admin_catalog_version"}

// adminView is the administration pages' data.
type adminView struct {
	Accounts []accountRow
	Account  *accountRow
	Keys     []keyRow
	Matters  []string
	// Secret is a key just issued, shown once.
	Secret string
	Years  []yearRow
	Depts  []deptRow
	Roles  []roleOption
	Done   string
	// The catalogue's files in force, its versions, one version and what
	// it changes.
	Files    []catalogFileRow
	Versions []versionRow
	Version  *versionRow
	Changes  []changeRow
}

type catalogFileRow struct{ File, Name, Version, Source string }

type versionRow struct {
	ID, File, FileName, Version, SHA, Note, UploadedBy, Uploaded, ActivatedBy, Activated string
	Active                                                                               bool
}

type changeRow struct{ List, Code, Op, Fields string }

type accountRow struct {
	Name, Display, Role, RoleName, Dept, DeptName, Subject, Created string
	Disabled, Password                                              bool
}

type keyRow struct{ ID, Prefix, Created, Revoked string }

type yearRow struct {
	Year               int
	Source, Note       string
	Holidays, Workdays int
	Uncertain          bool
}

type deptRow struct{ Code, Name, Kind, Level, Region, Superior string }

type roleOption struct{ Value, Label string }

func (p *Portal) adminRoutes() error {
	for _, name := range adminPages {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /console/admin/accounts", p.adminAccounts)
	p.mux.HandleFunc("POST /console/admin/accounts", p.adminCreateAccount)
	p.mux.HandleFunc("GET /console/admin/accounts/{name}", p.adminAccount)
	p.mux.HandleFunc("POST /console/admin/accounts/{name}/keys", p.adminIssueKey)
	p.mux.HandleFunc("POST /console/admin/accounts/{name}/disabled", p.adminDisable)
	p.mux.HandleFunc("POST /console/admin/keys/{id}/revoke", p.adminRevokeKey)
	p.mux.HandleFunc("GET /console/admin/departments", p.adminDepts)
	p.mux.HandleFunc("GET /console/admin/calendar", p.adminCalendar)
	p.mux.HandleFunc("POST /console/admin/calendar", p.adminPutYear)
	p.mux.HandleFunc("GET /console/admin/catalog", p.adminCatalog)
	p.mux.HandleFunc("POST /console/admin/catalog", p.adminUploadCatalog)
	p.mux.HandleFunc("GET /console/admin/catalog/versions/{id}", p.adminCatalogVersion)
	p.mux.HandleFunc("POST /console/admin/catalog/versions/{id}/activate", p.adminActivateCatalog)
	return nil
}

// admin is the signed-in administrator (the gate has refused everyone
// else already; this is the handlers' own check).
func (p *Portal) admin(w http.ResponseWriter, r *http.Request) (auth.Principal, *view, bool) {
	pr := p.principal(r)
	if pr.Role != credit.RoleAdmin {
		p.gate(w, r)
		return pr, nil, false
	}
	return pr, p.newView(w, r, pr), true
}

func (v *view) accountRow(a *credit.Account) accountRow {
	row := accountRow{Name: a.Name, Display: a.Display, Role: string(a.Role), RoleName: v.T["role_"+string(a.Role)],
		Dept: a.Dept, Subject: a.Subject, Created: dateOf(a.Created), Disabled: a.Disabled, Password: a.PassHash != ""}
	if a.Dept != "" {
		row.DeptName = v.N.Dept(a.Dept)
	}
	return row
}

func (p *Portal) adminAccounts(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	p.renderAccounts(w, r, v, http.StatusOK, "")
}

func (p *Portal) renderAccounts(w http.ResponseWriter, r *http.Request, v *view, status int, errMsg string) {
	accs, err := p.cfg.Store.Accounts(r.Context())
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	av := &adminView{}
	for i := range accs {
		av.Accounts = append(av.Accounts, v.accountRow(&accs[i]))
	}
	for _, d := range p.cfg.Catalog.Departments {
		av.Depts = append(av.Depts, deptRow{Code: d.Code, Name: v.N.Dept(d.Code)})
	}
	for _, role := range credit.Roles {
		if role != credit.RolePublic {
			av.Roles = append(av.Roles, roleOption{Value: string(role), Label: v.T["role_"+string(role)]})
		}
	}
	p.render(w, r, status, "admin_accounts", v, func(v *view) { v.Title, v.Admin, v.Error = v.T["adm_accounts_title"], av, errMsg })
}

func (p *Portal) adminCreateAccount(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	acc, err := p.accounts.CreateAccount(r.Context(), name, f.Get("display"), credit.Role(f.Get("role")), f.Get("dept"), f.Get("subject"), f.Get("password"))
	if err != nil {
		p.audit.Denied(r.Context(), pr, "account.create", "account:"+clipTo(name, 64), "", httpx.RemoteIP(r))
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Exists {
			p.renderAccounts(w, r, v, http.StatusUnprocessableEntity, says(v, err))
			return
		}
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "account.create", "account:"+acc.Name, "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/admin/accounts/"+url.PathEscape(acc.Name), http.StatusSeeOther)
}

func (p *Portal) adminAccount(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	p.renderAccount(w, r, v, "", r.URL.Query().Get("done"))
}

func (p *Portal) renderAccount(w http.ResponseWriter, r *http.Request, v *view, secret, done string) {
	ctx := r.Context()
	acc, err := p.cfg.Store.Account(ctx, r.PathValue("name"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	ks, err := p.cfg.Store.APIKeys(ctx, acc.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	row := v.accountRow(acc)
	av := &adminView{Account: &row, Secret: secret}
	if done == "revoked" || done == "disabled" || done == "enabled" {
		av.Done = v.T["adm_done_"+done]
	}
	for _, k := range ks {
		kr := keyRow{ID: k.ID, Prefix: k.Prefix, Created: timeOf(k.Created)}
		if k.Revoked {
			kr.Revoked = v.T["adm_key_revoked"]
		}
		av.Keys = append(av.Keys, kr)
	}
	if acc.Role == credit.RoleBusiness {
		ms, err := p.cfg.Store.AccountMatters(ctx, acc.ID)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		for _, m := range ms {
			av.Matters = append(av.Matters, v.N.Matter(m))
		}
	}
	p.render(w, r, http.StatusOK, "admin_account", v, func(v *view) { v.Title, v.Admin = acc.Name, av })
}

func (p *Portal) adminIssueKey(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	secret, _, err := p.accounts.NewKey(r.Context(), name)
	if err != nil {
		p.audit.Denied(r.Context(), pr, "account.key.create", "account:"+clipTo(name, 64), "", httpx.RemoteIP(r))
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "account.key.create", "account:"+name, "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.renderAccount(w, r, v, secret, "")
}

func (p *Portal) adminRevokeKey(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	_, acc, err := auth.RevokeKey(r.Context(), p.cfg.Store, id)
	if err != nil {
		p.audit.Denied(r.Context(), pr, "account.key.revoke", "key:"+clipTo(id, 64), "", httpx.RemoteIP(r))
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "account.key.revoke", "key:"+id, "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/admin/accounts/"+url.PathEscape(acc.Name)+"?done=revoked", http.StatusSeeOther)
}

func (p *Portal) adminDisable(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	disabled := r.PostForm.Get("disabled") == "true"
	if disabled && pr.Account.Name == name {
		p.fail(w, r, v, credit.Say("web.adminDisable", credit.NotFound, "不能停用自己的账号", "an administrator cannot disable its own account"))
		return
	}
	if _, err := auth.SetDisabled(r.Context(), p.cfg.Store, name, disabled); err != nil {
		p.audit.Denied(r.Context(), pr, "account.disable", "account:"+clipTo(name, 64), "", httpx.RemoteIP(r))
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "account.disable", "account:"+name+":"+strconv.FormatBool(disabled), "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	http.Redirect(w, r, "/console/admin/accounts/"+url.PathEscape(name)+"?done="+done, http.StatusSeeOther)
}

func (p *Portal) adminDepts(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	av := &adminView{}
	for _, d := range p.cfg.Catalog.Departments {
		row := deptRow{Code: d.Code, Name: v.N.Dept(d.Code), Kind: p.deptKindName(v, d.Kind), Level: v.T["adm_level_"+d.Level], Region: d.Region}
		if name := uscc.RegionName(d.Region); name != "" {
			row.Region = name
		}
		if d.Superior != "" {
			row.Superior = v.N.Dept(d.Superior)
		}
		av.Depts = append(av.Depts, row)
	}
	p.render(w, r, http.StatusOK, "admin_depts", v, func(v *view) { v.Title, v.Admin = v.T["adm_depts_title"], av })
}

// deptKindName names a kind of department in the page's language.
func (p *Portal) deptKindName(v *view, kind string) string {
	for _, k := range p.cfg.Catalog.DeptKinds {
		if k.Code == kind {
			return v.N.pick(k.Name, k.NameEn)
		}
	}
	return kind
}

func (p *Portal) calendar() *workday.Calendar {
	if p.cfg.Workflow != nil {
		return p.cfg.Workflow.Calendar()
	}
	return workday.Default()
}

var latinWords = regexp.MustCompile(`[A-Za-z]{3,}`)

func (p *Portal) adminCalendar(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	p.renderCalendar(w, r, v, http.StatusOK, "", r.URL.Query().Get("done") == "saved")
}

func (p *Portal) renderCalendar(w http.ResponseWriter, r *http.Request, v *view, status int, errMsg string, saved bool) {
	av := &adminView{}
	for _, y := range p.calendar().Years() {
		src := y.Source
		if v.Lang != "en" && latinWords.MatchString(src) {
			src = "" // the file states its source in English
		}
		av.Years = append(av.Years, yearRow{Year: y.Year, Source: src, Holidays: len(y.Holidays), Workdays: len(y.Workdays), Uncertain: y.Uncertain})
	}
	sort.Slice(av.Years, func(i, j int) bool { return av.Years[i].Year > av.Years[j].Year })
	if saved {
		av.Done = v.T["adm_calendar_saved"]
	}
	p.render(w, r, status, "admin_calendar", v, func(v *view) { v.Title, v.Admin, v.Error = v.T["adm_calendar_title"], av, errMsg })
}

// adminPutYear adds or replaces a year of the working-day calendar from an
// uploaded year file, validated by workday.Parse; the file it replaces is
// kept (workday.SaveYear).
func (p *Portal) adminPutYear(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	var body []byte
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			f, err := fh[0].Open()
			if err == nil {
				body, err = io.ReadAll(io.LimitReader(f, 256<<10))
				f.Close()
			}
			if err != nil {
				p.fail(w, r, v, err)
				return
			}
		}
	}
	if len(body) == 0 {
		body = []byte(r.PostForm.Get("year_json"))
	}
	y, err := workday.Parse(body)
	if err == nil {
		_, err = p.calendar().SaveYear(p.cfg.CalendarDir, body)
	}
	if err != nil {
		p.audit.Denied(r.Context(), pr, "calendar.year.put", "calendar", "", httpx.RemoteIP(r))
		p.renderCalendar(w, r, v, http.StatusUnprocessableEntity, v.T["adm_calendar_invalid"]+"："+err.Error(), false)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "calendar.year.put", "calendar:"+strconv.Itoa(y.Year), "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/admin/calendar?done=saved", http.StatusSeeOther)
}

// --- catalogue versions ---

// fileName names a catalogue file (部门名录 for departments.json).
func fileName(T map[string]string, file string) string {
	if n := T["adm_file_"+strings.TrimSuffix(file, ".json")]; n != "" {
		return n
	}
	return file
}

func versionRowOf(T map[string]string, v *credit.CatalogVersion) versionRow {
	r := versionRow{ID: v.ID, File: v.File, FileName: fileName(T, v.File), Version: v.Version, SHA: v.SHA256, Note: v.Note, UploadedBy: v.UploadedBy,
		Uploaded: timeOf(v.Uploaded), ActivatedBy: v.ActivatedBy, Active: v.Active}
	if len(r.SHA) > 12 {
		r.SHA = r.SHA[:12]
	}
	if !v.Activated.IsZero() {
		r.Activated = timeOf(v.Activated)
	}
	return r
}

func (p *Portal) adminCatalog(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	p.renderCatalog(w, r, v, http.StatusOK, "")
}

func (p *Portal) renderCatalog(w http.ResponseWriter, r *http.Request, v *view, status int, errMsg string) {
	vs, err := p.cfg.Store.CatalogVersions(r.Context(), "")
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	av := &adminView{}
	for _, f := range catalog.Files() {
		src := p.cfg.Catalog.Sources[f]
		if k := "adm_source_" + src; v.T[k] != "" {
			src = v.T[k]
		}
		av.Files = append(av.Files, catalogFileRow{File: f, Name: fileName(v.T, f), Version: p.cfg.Catalog.Versions[f], Source: src})
	}
	for i := range vs {
		av.Versions = append(av.Versions, versionRowOf(v.T, &vs[i]))
	}
	p.render(w, r, status, "admin_catalog", v, func(v *view) { v.Title, v.Admin, v.Error = v.T["adm_catalog_title"], av, errMsg })
}

// adminUploadCatalog keeps an uploaded file version after the
// catalogue's checks (catalog.Upload) and shows what it changes.
func (p *Portal) adminUploadCatalog(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	file := r.PostForm.Get("file_name")
	var body []byte
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			f, err := fh[0].Open()
			if err == nil {
				body, err = io.ReadAll(io.LimitReader(f, 4<<20))
				f.Close()
			}
			if err != nil {
				p.fail(w, r, v, err)
				return
			}
		}
	}
	cv, _, err := catalog.Upload(r.Context(), p.cfg.Store, p.cfg.Catalog, file, body, clipTo(r.PostForm.Get("note"), 200), pr.Name(), p.cfg.Now())
	if err != nil {
		p.audit.Denied(r.Context(), pr, "catalog.version.upload", "catalog:"+clipTo(file, 64), "", httpx.RemoteIP(r))
		switch credit.KindOf(err) {
		case credit.Invalid, credit.Conflict, credit.NotFound:
			p.renderCatalog(w, r, v, http.StatusUnprocessableEntity, v.T["adm_catalog_invalid"]+"："+says(v, err))
		default:
			p.fail(w, r, v, err)
		}
		return
	}
	if err := p.audit.Read(r.Context(), pr, "catalog.version.upload", "catalog:"+file, "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/admin/catalog/versions/"+url.PathEscape(cv.ID), http.StatusSeeOther)
}

func (p *Portal) adminCatalogVersion(w http.ResponseWriter, r *http.Request) {
	_, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	cv, err := p.cfg.Store.CatalogVersion(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	changes, err := catalog.Diff(p.cfg.Catalog.Raw(cv.File), cv.Content)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	row := versionRowOf(v.T, cv)
	av := &adminView{Version: &row}
	for _, c := range changes {
		av.Changes = append(av.Changes, changeRow{List: c.List, Code: c.Code, Op: v.T["adm_op_"+c.Op], Fields: strings.Join(c.Fields, "、")})
	}
	if r.URL.Query().Get("done") == "activated" {
		av.Done = v.T["adm_catalog_activated"]
	}
	p.render(w, r, http.StatusOK, "admin_catalog_version", v, func(v *view) { v.Title, v.Admin = v.T["adm_catalog_version"], av })
}

func (p *Portal) adminActivateCatalog(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.admin(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if _, err := catalog.Activate(r.Context(), p.cfg.Store, p.cfg.Catalog, id, pr.Name(), p.cfg.Now()); err != nil {
		p.audit.Denied(r.Context(), pr, "catalog.version.activate", "catalog-version:"+clipTo(id, 64), "", httpx.RemoteIP(r))
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Conflict {
			p.renderCatalog(w, r, v, http.StatusUnprocessableEntity, v.T["adm_catalog_invalid"]+"："+says(v, err))
			return
		}
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "catalog.version.activate", "catalog-version:"+id, "", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/admin/catalog/versions/"+url.PathEscape(id)+"?done=activated", http.StatusSeeOther)
}

func clipTo(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// ConsolePages returns the page table: each console page (with its link's
// query) and the roles that may open it.
func ConsolePages() []struct {
	Link  string
	Roles []credit.Role
} {
	out := make([]struct {
		Link  string
		Roles []credit.Role
	}, 0, len(consolePages))
	for _, pg := range consolePages {
		out = append(out, struct {
			Link  string
			Roles []credit.Role
		}{pg.Path + pg.Query, slices.Clone(pg.Roles)})
	}
	return out
}
