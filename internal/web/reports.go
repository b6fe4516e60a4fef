package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/report"
)

// Credit reports on the portal (issue 16): the subject draws its
// 公共信用信息报告 and 专项信用报告 and downloads them (PDF, JSON); gives,
// sees and revokes authorisations; sees who read its data. Anyone verifies
// a report by its number (the QR code's address) or by uploading the file.
// An administrator revokes a report on the console. The published keys are
// at /.well-known/xinyong-keys.json.

func init() {
	for lang, m := range reportMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

var reportMessages = map[string]map[string]string{
	"zh": {
		"nav_reports": "信用报告", "nav_grants": "授权管理", "nav_reads": "谁查询了我", "nav_verify": "报告核验",
		"rep_title": "我的信用报告", "rep_note": "信用报告免费出具，可多次申请。报告经平台电子签名并登记于存证日志，可扫描二维码或输入报告编号核验。",
		"rep_public": "公共信用信息报告", "rep_public_note": "本主体在平台的全部公共信用信息及其公示状态。",
		"rep_special": "专项信用报告（无违法违规记录证明）", "rep_special_note": "按领域说明查询期内有无违法违规记录，替代有无违法违规记录证明。",
		"rep_purpose": "查询用途", "rep_domains": "领域", "rep_years": "查询期（年）", "rep_issue": "申请出具",
		"rep_issued": "已出具信用报告", "rep_download_pdf": "下载PDF", "rep_download_json": "下载JSON（含签名）",
		"rep_list": "已出具的报告", "rep_none": "尚未出具信用报告。", "col_report_no": "报告编号", "col_kind": "种类",
		"col_issued": "出具时间", "col_valid": "有效期至", "col_requester": "申请人", "col_report_state": "状态",
		"state_valid": "有效", "state_expired": "已过期", "state_revoked": "已撤销",
		"grant_title": "授权管理", "grant_note": "授权接入机构（如银行）在限定用途、范围、期限和次数内查询本主体的信息。授权期限最长一年，不得一次授权、终身使用；可随时撤销。",
		"grant_recipient": "被授权机构（账号）", "grant_purpose": "用途", "grant_scope": "授权范围", "grant_scope_reports": "信用报告",
		"grant_scope_items": "信用信息明细", "grant_days": "有效天数", "grant_uses": "可查询次数", "grant_give": "授权",
		"grant_list": "我的授权", "grant_none": "尚未授权任何机构。", "col_grant": "授权编号", "col_recipient": "机构",
		"col_scope": "范围", "col_uses": "已用/可用", "col_valid_until": "有效期至", "grant_revoke": "撤销授权",
		"grant_revoked": "已撤销", "grant_active": "有效", "grant_expired": "已到期", "grant_used_up": "次数已用完",
		"grant_reason": "撤销理由", "grant_given": "已授权。",
		"reads_title": "谁查询了我的信息", "reads_note": "以下为审计日志中所有查询本主体非公开信息的记录（含政府部门依职责的查询和被拒绝的查询）。",
		"reads_none": "暂无查询记录。", "col_when": "时间", "col_who": "查询方", "col_role": "身份", "col_purpose": "用途",
		"col_basis": "依据", "col_outcome": "结果", "outcome_ok": "已查询", "outcome_denied": "已拒绝",
		"verify_title": "信用报告核验", "verify_note": "输入报告编号，或上传报告文件（PDF 或 JSON），核验报告的真伪与状态。离线核验可使用 xinyong report verify。",
		"verify_no": "报告编号", "verify_file": "报告文件", "verify_go": "核验", "verify_digest": "内容摘要（SHA-256）",
		"verify_issuer": "出具机构", "verify_key": "签名密钥", "verify_leaf": "存证日志位置", "verify_state": "状态",
		"verify_reason": "撤销理由", "verify_revoked_at": "撤销时间", "verify_authentic": "文件为本平台出具，签名与存证一致。",
		"verify_problems": "文件未通过核验：", "verify_unknown": "没有该编号的信用报告。", "verify_keys": "平台公钥",
		"verify_disclose": "本页只显示报告的摘要与状态，不显示报告内容。",
		"console_reports": "信用报告撤销", "console_reports_note": "撤销已出具的信用报告（须说明理由）。撤销后报告核验显示为已撤销。",
		"console_revoke": "撤销报告", "console_revoked": "报告已撤销。",
		"reports_off": "本节点未启用信用报告服务。", "console_forbidden": "只有平台管理员可以撤销信用报告。",
	},
	"en": {
		"nav_reports": "Credit reports", "nav_grants": "Authorisations", "nav_reads": "Who read my data", "nav_verify": "Verify a report",
		"rep_title": "My credit reports", "rep_note": "Reports are free and may be drawn any number of times. Each is signed by the platform and entered in its transparency log; verify it with the QR code or its number.",
		"rep_public": "Public credit information report", "rep_public_note": "Everything the platform holds about you, with its publication state.",
		"rep_special": "Special credit report (no illegal or irregular record)", "rep_special_note": "By domain: whether there is any illegal or irregular record in the period; replaces certificates of no such record.",
		"rep_purpose": "Purpose", "rep_domains": "Domains", "rep_years": "Period (years)", "rep_issue": "Issue",
		"rep_issued": "Report issued", "rep_download_pdf": "Download PDF", "rep_download_json": "Download JSON (signed)",
		"rep_list": "Issued reports", "rep_none": "No report issued yet.", "col_report_no": "Report number", "col_kind": "Kind",
		"col_issued": "Issued", "col_valid": "Valid until", "col_requester": "Requested by", "col_report_state": "State",
		"state_valid": "valid", "state_expired": "expired", "state_revoked": "revoked",
		"grant_title": "Authorisations", "grant_note": "Authorise an access institution (a bank, say) to read your data for one purpose, within a scope, for a time and a number of reads. A grant lasts at most a year (no lifetime grants) and you may revoke it at any time.",
		"grant_recipient": "Institution (account)", "grant_purpose": "Purpose", "grant_scope": "Scope", "grant_scope_reports": "Credit reports",
		"grant_scope_items": "Records", "grant_days": "Days valid", "grant_uses": "Reads allowed", "grant_give": "Authorise",
		"grant_list": "My authorisations", "grant_none": "No authorisation given.", "col_grant": "Grant", "col_recipient": "Institution",
		"col_scope": "Scope", "col_uses": "Used/allowed", "col_valid_until": "Valid until", "grant_revoke": "Revoke",
		"grant_revoked": "revoked", "grant_active": "in force", "grant_expired": "expired", "grant_used_up": "used up",
		"grant_reason": "Reason", "grant_given": "Authorised.",
		"reads_title": "Who read my data", "reads_note": "Every read of your non-public data in the audit trail, including government units reading for their duties and refused attempts.",
		"reads_none": "No reads yet.", "col_when": "When", "col_who": "Who", "col_role": "Role", "col_purpose": "Purpose",
		"col_basis": "Basis", "col_outcome": "Outcome", "outcome_ok": "read", "outcome_denied": "refused",
		"verify_title": "Verify a credit report", "verify_note": "Enter the report number, or upload the report (PDF or JSON), to verify it and its state. To verify offline, use xinyong report verify.",
		"verify_no": "Report number", "verify_file": "Report file", "verify_go": "Verify", "verify_digest": "Content digest (SHA-256)",
		"verify_issuer": "Issuer", "verify_key": "Signing key", "verify_leaf": "Log position", "verify_state": "State",
		"verify_reason": "Reason for revocation", "verify_revoked_at": "Revoked on", "verify_authentic": "The file was issued by this platform: its signature and its log entry agree.",
		"verify_problems": "The file does not verify:", "verify_unknown": "There is no report with that number.", "verify_keys": "Platform keys",
		"verify_disclose": "This page shows a report's digest and state only, never its content.",
		"console_reports": "Revoke a credit report", "console_reports_note": "Revoke an issued report, with the reason. It then verifies as revoked.",
		"console_revoke": "Revoke", "console_revoked": "The report is revoked.",
		"reports_off": "Credit reports are not served by this node.", "console_forbidden": "Only the platform administrator revokes credit reports.",
	},
}

// reportsView is the data of the report pages.
type reportsView struct {
	Page     string // mine, grants, reads, verify, console
	Notice   string
	Just     *issuedView // the report just issued
	Reports  []reportRow
	Purposes []option
	Grantees []option
	Domains  []option
	Kinds    []option
	Items    []option
	Grants   []grantRow
	Reads    []readRow
	Years    int
	MaxYears int
	Days     int
	MaxDays  int
	MaxUses  int
	// Verification.
	No                          string
	Status                      *report.Status
	Issued, Valid, RevokedAt    string
	Problems                    []string
	Checked, Unknown, Authentic bool
}

// setStatus shows a report's status, its times in China time.
func (rv *reportsView) setStatus(st *report.Status) {
	rv.Status = st
	if st == nil {
		return
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(chinatime.Location).Format("2006-01-02 15:04")
	}
	rv.Issued, rv.Valid, rv.RevokedAt = f(st.IssuedAt), f(st.ValidUntil), f(st.RevokedAt)
}

type issuedView struct{ No, Kind string }

type reportRow struct {
	No, Kind, Issued, Valid, Requester, State, StateKey string
}

type grantRow struct {
	ID, Recipient, Purpose, Scope, Uses, Until, State string
	Active                                            bool
}

type readRow struct {
	When, Who, Role, Action, Purpose, Basis, Outcome, Grant string
	Denied                                                  bool
}

var reportPages = []string{"reports"}

func (p *Portal) reportRoutes() error {
	for _, name := range reportPages {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /.well-known/xinyong-keys.json", p.keys)
	p.mux.HandleFunc("GET /my/reports", p.myReports)
	p.mux.HandleFunc("POST /my/reports", p.issueReport)
	p.mux.HandleFunc("GET /my/reports/{no}/{format}", p.downloadReport)
	p.mux.HandleFunc("GET /my/grants", p.myGrants)
	p.mux.HandleFunc("POST /my/grants", p.giveGrant)
	p.mux.HandleFunc("POST /my/grants/{id}/revoke", p.revokeGrant)
	p.mux.HandleFunc("GET /my/reads", p.myReads)
	p.mux.HandleFunc("GET /verify", p.verifyForm)
	p.mux.HandleFunc("GET /verify/{no}", p.verifyNumber)
	p.mux.HandleFunc("POST /verify", p.verifyUpload)
	p.mux.HandleFunc("GET /console/reports", p.consoleReports)
	p.mux.HandleFunc("POST /console/reports/revoke", p.consoleRevoke)
	return nil
}

func (p *Portal) rp() *report.Platform { return p.cfg.Reports }

// keys answers the published key set: every key that ever signed.
func (p *Portal) keys(w http.ResponseWriter, r *http.Request) {
	ks, err := p.rp().KeySet(r.Context())
	if err != nil {
		p.fail(w, r, p.newView(w, r, auth.Anonymous()), err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(ks)
}

// mySubject is the signed-in subject with its page's view (subjectOnly
// answers anyone else).
func (p *Portal) mySubject(w http.ResponseWriter, r *http.Request) (auth.Principal, *view, bool) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return pr, nil, false
	}
	return pr, p.newView(w, r, pr), true
}

func (p *Portal) stateOf(rep credit.Report, v *view) (string, string) {
	switch {
	case rep.Revocation != nil:
		return v.T["state_revoked"], "revoked"
	case !p.cfg.Now().Before(rep.ValidUntil):
		return v.T["state_expired"], "expired"
	}
	return v.T["state_valid"], "valid"
}

func (p *Portal) kindName(code string, v *view) string {
	if k, err := p.cfg.Catalog.ReportKind(code); err == nil {
		if v.Lang == "en" {
			return k.NameEn
		}
		return k.Name
	}
	return code
}

func (p *Portal) myReports(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	rs, err := p.cfg.Store.Reports(r.Context(), credit.ReportFilter{SubjectID: pr.Account.Subject})
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	rv := &reportsView{Page: "mine"}
	for _, rep := range rs {
		st, key := p.stateOf(rep, v)
		rv.Reports = append(rv.Reports, reportRow{No: rep.No, Kind: p.kindName(rep.Kind, v), Issued: rep.IssuedAt.In(chinatime.Location).Format("2006-01-02 15:04"),
			Valid: rep.ValidUntil.In(chinatime.Location).Format("2006-01-02 15:04"), Requester: rep.Requester, State: st, StateKey: key})
	}
	if no := r.URL.Query().Get("issued"); no != "" {
		for _, rep := range rs {
			if rep.No == no {
				rv.Just = &issuedView{No: no, Kind: p.kindName(rep.Kind, v)}
			}
		}
	}
	cat := p.cfg.Catalog
	for _, pu := range cat.Reports.Purposes {
		if pu.For(catalog.UseReport) {
			rv.Purposes = append(rv.Purposes, option{Code: pu.Code, Name: pick(v, pu.Name, pu.NameEn), Selected: pu.Code == "self_check"})
		}
	}
	for _, d := range cat.Reports.SpecialDomains {
		if len(cat.DomainDepartments(d)) > 0 {
			rv.Domains = append(rv.Domains, option{Code: d.Code, Name: pick(v, d.Name, d.NameEn), Selected: true})
		}
	}
	if k, err := cat.ReportKind("special"); err == nil {
		rv.Years, rv.MaxYears = k.PeriodYears, k.MaxPeriodYears
	}
	v.Title = v.T["rep_title"]
	v.Rep = rv
	p.render(w, r, http.StatusOK, "reports", v, nil)
}

func pick(v *view, zh, en string) string {
	if v.Lang == "en" {
		return en
	}
	return zh
}

func (p *Portal) issueReport(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	years, _ := strconv.Atoi(r.PostForm.Get("years"))
	req := report.Request{Kind: r.PostForm.Get("kind"), SubjectID: pr.Account.Subject, Requester: pr.Actor(),
		Purpose: r.PostForm.Get("purpose"), Domains: r.PostForm["domain"], Years: years, BaseURL: baseURL(r)}
	is, err := p.rp().Reports.Issue(r.Context(), req)
	if err == nil {
		err = p.audit.ReadWith(r.Context(), pr, "report.issue", is.Report.No, is.Report.Purpose, httpx.RemoteIP(r),
			auth.Detail{Subject: pr.Account.Subject, Basis: string(credit.RoleSubject)})
	}
	if err != nil {
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Permission {
			p.render(w, r, http.StatusBadRequest, "error", v, func(v *view) { v.Title, v.Error = v.T["rep_title"], says(v, err) })
			return
		}
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/my/reports?issued="+is.Report.No, http.StatusSeeOther)
}

// baseURL is the address a request came to.
func baseURL(r *http.Request) string {
	scheme := "http"
	if auth.IsTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (p *Portal) downloadReport(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	no, format := r.PathValue("no"), r.PathValue("format")
	rep, env, err := p.rp().Reports.Envelope(r.Context(), no)
	if err == nil && rep.SubjectID != pr.Account.Subject {
		err = credit.E("web.downloadReport", credit.NotFound, "not the subject's report")
	}
	if err == nil && format != "pdf" && format != "json" {
		err = credit.E("web.downloadReport", credit.NotFound, "no format %q", format)
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	body, ct := env, "application/json; charset=utf-8"
	if format == "pdf" {
		if body, err = report.RenderPDF(env, p.rp().Key()); err != nil {
			p.fail(w, r, v, err)
			return
		}
		ct = "application/pdf"
	}
	if err := p.audit.ReadWith(r.Context(), pr, "report.read", no, "subject reading its own report", httpx.RemoteIP(r),
		auth.Detail{Subject: rep.SubjectID, Basis: string(credit.RoleSubject)}); err != nil {
		p.fail(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="report-`+no+`.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

func (p *Portal) myGrants(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	p.renderGrants(w, r, pr, v, "", http.StatusOK)
}

func (p *Portal) renderGrants(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view, notice string, status int) {
	gs, err := p.rp().Grants.Mine(r.Context(), pr)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	cat := p.cfg.Catalog
	rules := cat.Reports.GrantRules
	rv := &reportsView{Page: "grants", Notice: notice, Days: rules.DefaultDays, MaxDays: rules.MaxDays, MaxUses: rules.MaxUses}
	now := p.cfg.Now()
	for _, g := range gs {
		row := grantRow{ID: g.ID, Recipient: g.RecipientName, Purpose: v.N.Purpose(g.Purpose), Uses: fmt.Sprintf("%d/%d", g.Uses, g.MaxUses),
			Until: chinatime.Format(g.ValidUntil.Add(-1))}
		if pu, err := cat.Purpose(g.Purpose); err == nil {
			row.Purpose = pick(v, pu.Name, pu.NameEn)
		}
		var scope []string
		for _, c := range g.Scope {
			if g.ScopeKind == credit.ScopeReports {
				scope = append(scope, p.kindName(c, v))
			} else {
				scope = append(scope, v.N.Item(c))
			}
		}
		row.Scope = strings.Join(scope, "、")
		switch {
		case g.Revoked():
			row.State = v.T["grant_revoked"]
		case !now.Before(g.ValidUntil):
			row.State = v.T["grant_expired"]
		case g.Uses >= g.MaxUses:
			row.State = v.T["grant_used_up"]
		default:
			row.State, row.Active = v.T["grant_active"], true
		}
		rv.Grants = append(rv.Grants, row)
	}
	for _, pu := range cat.Reports.Purposes {
		if pu.For(catalog.UseGrant) {
			rv.Purposes = append(rv.Purposes, option{Code: pu.Code, Name: pick(v, pu.Name, pu.NameEn)})
		}
	}
	for _, k := range cat.Reports.Kinds {
		if k.Grant {
			rv.Kinds = append(rv.Kinds, option{Code: k.Code, Name: pick(v, k.Name, k.NameEn)})
		}
	}
	for _, it := range cat.Items {
		if it.Code != "registration" {
			rv.Items = append(rv.Items, option{Code: it.Code, Name: pick(v, it.Name, it.NameEn)})
		}
	}
	v.Title = v.T["grant_title"]
	v.Rep = rv
	p.render(w, r, status, "reports", v, nil)
}

func (p *Portal) giveGrant(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	days, _ := strconv.Atoi(f.Get("days"))
	uses, _ := strconv.Atoi(f.Get("uses"))
	req := auth.GrantRequest{Recipient: f.Get("recipient"), Purpose: f.Get("purpose"), ScopeKind: f.Get("scope_kind"), Days: days, MaxUses: uses}
	if req.ScopeKind == credit.ScopeItems {
		req.Scope = f["item"]
	} else {
		req.Scope = f["report"]
	}
	g, err := p.rp().Grants.Give(r.Context(), pr, req)
	if err == nil {
		err = p.audit.ReadWith(r.Context(), pr, "grant.give", g.ID, "", httpx.RemoteIP(r), auth.Detail{Subject: pr.Account.Subject, Grant: g.ID})
	}
	if err != nil {
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Permission || k == credit.NotFound {
			p.renderGrants(w, r, pr, v, says(v, err), http.StatusBadRequest)
			return
		}
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/my/grants", http.StatusSeeOther)
}

func (p *Portal) revokeGrant(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := p.rp().Grants.Revoke(r.Context(), pr, id, r.PostForm.Get("reason"))
	if err == nil {
		err = p.audit.ReadWith(r.Context(), pr, "grant.revoke", id, "", httpx.RemoteIP(r), auth.Detail{Subject: pr.Account.Subject, Grant: id})
	}
	if err != nil {
		if k := credit.KindOf(err); k == credit.Conflict || k == credit.NotFound {
			p.renderGrants(w, r, pr, v, says(v, err), http.StatusBadRequest)
			return
		}
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/my/grants", http.StatusSeeOther)
}

func (p *Portal) myReads(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.mySubject(w, r)
	if !ok {
		return
	}
	reads, err := api.Reads(r.Context(), p.cfg.Store, p.cfg.Catalog, pr.Account.Subject, 500)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	rv := &reportsView{Page: "reads"}
	for _, rd := range reads {
		row := readRow{When: rd.At.In(chinatime.Location).Format("2006-01-02 15:04:05"), Who: rd.Who, Role: v.T["role_"+string(rd.Role)],
			Action: rd.Action, Purpose: v.N.Purpose(rd.Purpose), Basis: pick(v, rd.BasisName, rd.BasisNameEn), Outcome: v.T["outcome_"+rd.Outcome],
			Grant: rd.Grant, Denied: rd.Outcome == auth.OutcomeDenied}
		if rd.Role == credit.RoleDept {
			if acc, err := p.cfg.Store.Account(r.Context(), rd.Actor); err == nil && acc.Dept != "" {
				if name, ok := v.N.dept(acc.Dept); ok {
					row.Who += "（" + name + "）"
				}
			}
		}
		rv.Reads = append(rv.Reads, row)
	}
	if err := p.audit.ReadWith(r.Context(), pr, "subject.reads.read", pr.Account.Subject, "subject reading who read its data", httpx.RemoteIP(r),
		auth.Detail{Subject: pr.Account.Subject, Basis: string(credit.RoleSubject)}); err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = v.T["reads_title"]
	v.Rep = rv
	p.render(w, r, http.StatusOK, "reports", v, nil)
}

func (p *Portal) verifyForm(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	if no := strings.TrimSpace(r.URL.Query().Get("no")); no != "" {
		http.Redirect(w, r, "/verify/"+no, http.StatusSeeOther)
		return
	}
	v.Title = v.T["verify_title"]
	v.Rep = &reportsView{Page: "verify"}
	p.render(w, r, http.StatusOK, "reports", v, nil)
}

// verifyNumber is the page the QR code leads to: the report's digest,
// issuer, times and state; never its content.
func (p *Portal) verifyNumber(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	no := r.PathValue("no")
	rv := &reportsView{Page: "verify", No: no, Checked: true}
	st, err := p.rp().Reports.StatusOf(r.Context(), no)
	switch {
	case credit.Is(credit.NotFound, err):
		rv.Unknown = true
	case err != nil:
		p.fail(w, r, v, err)
		return
	default:
		rv.setStatus(st)
	}
	v.Title = v.T["verify_title"]
	v.Rep = rv
	status := http.StatusOK
	if rv.Unknown {
		status = http.StatusNotFound
	}
	p.render(w, r, status, "reports", v, nil)
}

func (p *Portal) verifyUpload(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	rv := &reportsView{Page: "verify", Checked: true}
	f, _, err := r.FormFile("file")
	if err != nil {
		rv.Problems = []string{v.T["verify_file"] + "?"}
	} else {
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, api.MaxReportFile))
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		res, err := api.VerifyReport(r.Context(), p.rp(), b)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		rv.Problems, rv.Authentic = res.Problems, len(res.Problems) == 0
		rv.setStatus(res.Status)
		if res.Report != nil {
			rv.No = res.Report.No
		}
	}
	v.Title = v.T["verify_title"]
	v.Rep = rv
	p.render(w, r, http.StatusOK, "reports", v, nil)
}

func (p *Portal) consoleReports(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole%2Freports", http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	if pr.Role != credit.RoleAdmin {
		p.audit.Denied(r.Context(), pr, "report.revoke", r.URL.Path, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["console_forbidden"] })
		return
	}
	v.Title = v.T["console_reports"]
	v.Rep = &reportsView{Page: "console", Notice: r.URL.Query().Get("done")}
	if v.Rep.Notice != "" {
		v.Rep.Notice = v.T["console_revoked"]
	}
	p.render(w, r, http.StatusOK, "reports", v, nil)
}

func (p *Portal) consoleRevoke(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	v := p.newView(w, r, pr)
	no := strings.TrimSpace(r.PostForm.Get("no"))
	if pr.Role != credit.RoleAdmin {
		p.audit.Denied(r.Context(), pr, "report.revoke", no, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["console_forbidden"] })
		return
	}
	err := p.rp().Reports.Revoke(r.Context(), no, pr.Name(), r.PostForm.Get("reason"))
	if err == nil {
		err = p.audit.ReadWith(r.Context(), pr, "report.revoke", no, "", httpx.RemoteIP(r), auth.Detail{})
	}
	if err != nil {
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.NotFound || k == credit.Exists {
			v.Title = v.T["console_reports"]
			v.Rep = &reportsView{Page: "console", Notice: says(v, err)}
			p.render(w, r, http.StatusBadRequest, "reports", v, nil)
			return
		}
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/reports?done=1", http.StatusSeeOther)
}
