package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Pages for objections and repairs: the applicant's (a subject account
// files; anyone with a 查询码 tracks and uploads) and the console queues of
// deciding units and the credit office.

var wfPages = []string{"my_cases", "objection_new", "repair_new", "filed", "track", "queue", "case"}

func init() {
	for lang, m := range wfMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

// wfView is the data of the workflow pages (view.WF).
type wfView struct {
	Records    []recordRow
	Cases      []caseRow
	Record     *recordRow
	Elig       *workflow.Eligibility
	ApplyFrom  string
	Commitment string
	Code       string
	Case       *caseRow
	Events     []eventRow
	Files      []credit.CaseFile
	Actions    []string
	Kind       string
	Message    string
	CanUpload  bool
	Awaiting   bool
	Missing    string
}

type recordRow struct {
	ID, Item, ItemName, DocNo, Decided, Severity, Dept, DeptName string
	Marks                                                        workflow.Marks
	MarkLabels                                                   []string
}

func markLabels(T map[string]string, m workflow.Marks) []string {
	var out []string
	if m.UnderObjection {
		out = append(out, T["mark_under_objection"])
	}
	if m.UnderRepair {
		out = append(out, T["mark_under_repair"])
	}
	if m.Repaired {
		out = append(out, T["mark_repaired"])
	}
	if m.BankruptcyMasked {
		out = append(out, T["mark_masked"])
	}
	return out
}

type caseRow struct {
	ID, Kind, KindName, State, StateName, Subject, Record, Unit, UnitName, Due, Filed string
	Overdue, Open                                                                     bool
}

type eventRow struct {
	At, Action, ActionName, StateName, Actor, Due, Reason string
	Data                                                  []row
}

// wfRoutes parses the workflow pages and registers their routes.
func (p *Portal) wfRoutes() error {
	for _, name := range wfPages {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/wf_parts.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /my/cases", p.myCases)
	p.mux.HandleFunc("GET /my/cases/{id}", p.myCase)
	p.mux.HandleFunc("GET /my/objections/new", p.objectionForm)
	p.mux.HandleFunc("POST /my/objections", p.objectionFile)
	p.mux.HandleFunc("GET /my/repairs/new", p.repairForm)
	p.mux.HandleFunc("POST /my/repairs", p.repairFile)
	p.mux.HandleFunc("GET /track", p.trackForm)
	p.mux.HandleFunc("POST /track", p.trackShow)
	p.mux.HandleFunc("POST /track/files", p.trackUpload)
	p.mux.HandleFunc("POST /track/supplement", p.trackSupplement)
	p.mux.HandleFunc("GET /console/cases", p.queue)
	p.mux.HandleFunc("GET /console/cases/{id}", p.caseDetail)
	p.mux.HandleFunc("POST /console/cases/{id}", p.caseAction)
	return nil
}

func (p *Portal) wf() *workflow.Service { return p.cfg.Workflow }

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinatime.Location).Format(time.DateOnly)
}

func timeOf(t time.Time) string { return t.In(chinatime.Location).Format("2006-01-02 15:04") }

func (v *view) caseRow(c *credit.Case, now time.Time) caseRow {
	return caseRow{ID: c.ID, Kind: string(c.Kind), KindName: v.N.CaseKind(c.Kind), State: c.State,
		StateName: v.N.CaseState(c.State), Subject: c.SubjectID, Record: c.RecordID, Unit: c.Unit, UnitName: v.N.Dept(c.Unit),
		Due: dateOf(c.Due), Filed: timeOf(c.Created), Open: c.Open, Overdue: c.Open && workday.Overdue(c.Due, now)}
}

// eventRows shows events; staff see who acted, applicants see the role
// (or the platform). What the platform wrote itself (an escalation's
// reason, a unit, an outcome) is said in the page's language.
func (v *view) eventRows(evs []credit.CaseEvent, staff bool) []eventRow {
	out := make([]eventRow, 0, len(evs))
	for _, ev := range evs {
		er := eventRow{At: timeOf(ev.At), Action: ev.Action, ActionName: v.N.Action(ev.Action), StateName: v.N.CaseState(ev.State),
			Due: dateOf(ev.Due), Reason: ev.Reason}
		if ev.Action == "escalate" && ev.Actor == workflow.Platform.Name {
			er.Reason = fmt.Sprintf(v.T["event_overdue_since"], dateOf(ev.Due))
		}
		switch {
		case staff, ev.Actor == workflow.Platform.Name:
			er.Actor = v.N.Actor(ev.Actor)
		default:
			er.Actor = v.T["role_"+string(ev.Role)]
		}
		keys := make([]string, 0, len(ev.Data))
		for k := range ev.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !staff && (k == "contact" || k == "applicant" || k == "authorisation") {
				continue
			}
			if label := v.T["data_"+k]; label != "" && ev.Data[k] != "" {
				val := ev.Data[k]
				switch k {
				case "unit":
					val = v.N.Dept(val)
				case "outcome":
					val = v.N.Outcome(val)
				}
				er.Data = append(er.Data, row{Label: label, Value: val})
			}
		}
		out = append(out, er)
	}
	return out
}

func remote(r *http.Request) string { return httpx.RemoteIP(r) }

// subjectOnly returns the signed-in subject account, or redirects to login.
func (p *Portal) subjectOnly(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return pr, false
	}
	if pr.Role != credit.RoleSubject || pr.Account.Subject == "" {
		v := p.newView(w, r, pr)
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["wf_subject_only"], v.T["wf_subject_only_body"] })
		return pr, false
	}
	return pr, true
}

// userError renders a refusal the user can act on (Invalid, Conflict,
// Permission) on the page; anything else is the error page.
func (p *Portal) userError(w http.ResponseWriter, r *http.Request, v *view, err error, page string) bool {
	switch credit.KindOf(err) {
	case credit.Invalid, credit.Conflict, credit.Permission:
		msg := says(v, err)
		p.render(w, r, http.StatusUnprocessableEntity, page, v, func(v *view) { v.Error = pii.RedactIDs(msg) })
		return true
	}
	return false
}

// says is what an error tells the user in the page's language: its
// Chinese message on a Chinese page (credit.Say), else its innermost
// message.
func says(v *view, err error) string {
	if zh := credit.Chinese(err); zh != "" && v.Lang != "en" {
		return zh
	}
	return innermost(err)
}

// innermost is the message of the innermost platform error, without the
// chain of operation names.
func innermost(err error) string {
	for {
		var ce *credit.Error
		if !errors.As(err, &ce) || ce.Err == nil {
			return err.Error()
		}
		err = ce.Err
	}
}

// --- applicant pages ---

func (p *Portal) myRecords(ctx context.Context, v *view, subjectID string) ([]recordRow, error) {
	file, err := p.wf().RecordsFile(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	marks, _, err := p.wf().SubjectMarks(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	var out []recordRow
	for _, st := range file {
		if st.Revoked || st.Current.Severity == credit.SeverityNone {
			continue
		}
		out = append(out, recordRow{ID: st.Origin, Item: st.Current.Item, ItemName: v.N.Item(st.Current.Item), DocNo: st.Current.DocNo,
			Decided: dateOf(st.Current.DecidedOn), Severity: string(st.Current.Severity), Dept: st.Current.Dept, DeptName: v.N.Dept(st.Current.Dept),
			Marks: marks[st.Origin], MarkLabels: markLabels(v.T, marks[st.Origin])})
	}
	return out, nil
}

func (p *Portal) myCases(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	ctx := r.Context()
	sid := pr.Account.Subject
	recs, err := p.myRecords(ctx, v, sid)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	hist, err := p.wf().History(ctx, sid)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	now := p.cfg.Now()
	wv := &wfView{Records: recs}
	for i := range hist {
		wv.Cases = append(wv.Cases, v.caseRow(&hist[i].Case, now))
	}
	p.render(w, r, http.StatusOK, "my_cases", v, func(v *view) { v.Title, v.WF = v.T["my_cases_title"], wv })
}

// myCase shows one of the subject's own cases with its whole history.
func (p *Portal) myCase(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	c, err := p.wf().Case(r.Context(), r.PathValue("id"))
	if err == nil && c.SubjectID != pr.Account.Subject {
		err = credit.E("web", credit.NotFound, "not this subject's case")
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.renderTrack(w, r, v, c, "", "")
}

func (p *Portal) findRecord(ctx context.Context, v *view, sid, id string) (*recordRow, error) {
	recs, err := p.myRecords(ctx, v, sid)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if recs[i].ID == id {
			return &recs[i], nil
		}
	}
	return nil, credit.E("web", credit.NotFound, "no such record")
}

func (p *Portal) objectionForm(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	rec, err := p.findRecord(r.Context(), v, pr.Account.Subject, r.URL.Query().Get("record"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, http.StatusOK, "objection_new", v, func(v *view) { v.Title, v.WF = v.T["objection_title"], &wfView{Record: rec} })
}

// application reads a subject's filing form (objection or repair): the
// signed-in subject, its multipart form with any evidence files, and the
// record of its own the filing concerns. ok is false when the answer has
// been sent.
func (p *Portal) application(w http.ResponseWriter, r *http.Request) (pr auth.Principal, v *view, rec *recordRow, ok bool) {
	pr, ok = p.subjectOnly(w, r)
	if !ok {
		return pr, nil, nil, false
	}
	v = p.newView(w, r, pr)
	if err := r.ParseMultipartForm(p.wf().Rules().MaxFileBytes + 1<<20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p.fail(w, r, v, credit.E("web", credit.Invalid, "bad form"))
		return pr, v, nil, false
	}
	rec, err := p.findRecord(r.Context(), v, pr.Account.Subject, r.FormValue("record"))
	if err != nil {
		p.fail(w, r, v, err)
		return pr, v, nil, false
	}
	return pr, v, rec, true
}

// filed finishes a filing: the evidence files attached to the new case,
// the filing audited, and the page with the tracking code.
func (p *Portal) filed(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view, c *credit.Case, code, action string) {
	if msg, ok := p.attach(r, v, pr, c.ID); !ok {
		v.WF.Message = msg
	}
	p.audited(r, pr, action, pr.Account.Subject)
	p.filedPage(w, r, v, c, code)
}

// audited records an action that has already taken effect. Its page must
// still be shown (a filing's tracking code, say), so a failure to write
// the audit entry is logged for the operator rather than shown.
func (p *Portal) audited(r *http.Request, pr auth.Principal, action, target string) {
	if err := p.audit.Read(r.Context(), pr, action, target, "", remote(r)); err != nil {
		p.log.Error("action taken but not audited", "action", action, "target", target, "err", err)
	}
}

// parseForm reads a url-encoded form of at most limit bytes, answering 400
// if it cannot.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	return true
}

func (p *Portal) objectionFile(w http.ResponseWriter, r *http.Request) {
	pr, v, rec, ok := p.application(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sid := pr.Account.Subject
	v.WF = &wfView{Record: rec}
	v.Title = v.T["objection_title"]
	c, code, err := p.wf().FileObjection(ctx, pr.Actor(), workflow.Objection{SubjectID: sid, RecordID: rec.ID, Reasons: r.FormValue("reasons"),
		Applicant: workflow.Applicant{Name: pr.Account.Display, Contact: r.FormValue("contact")}})
	if err != nil {
		if !p.userError(w, r, v, err, "objection_new") {
			p.fail(w, r, v, err)
		}
		return
	}
	p.filed(w, r, pr, v, c, code, "objection.file")
}

// attach stores the uploaded "evidence" files of a form in the case; a
// file refused is said in the page's language.
func (p *Portal) attach(r *http.Request, v *view, pr auth.Principal, caseID string) (string, bool) {
	if r.MultipartForm == nil {
		return "", true
	}
	for _, fh := range r.MultipartForm.File["evidence"] {
		f, err := fh.Open()
		if err != nil {
			return v.T["track_upload_bad"], false
		}
		body, err := io.ReadAll(io.LimitReader(f, p.wf().Rules().MaxFileBytes+1))
		f.Close()
		if err != nil {
			return v.T["track_upload_bad"], false
		}
		if _, err := p.wf().AddFile(r.Context(), pr.Actor(), caseID, fh.Filename, fh.Header.Get("Content-Type"), body); err != nil {
			return pii.RedactIDs(says(v, err)), false
		}
	}
	return "", true
}

func (p *Portal) filedPage(w http.ResponseWriter, r *http.Request, v *view, c *credit.Case, code string) {
	row := v.caseRow(c, p.cfg.Now())
	w.Header().Set("Cache-Control", "no-store") // the tracking code is shown once
	p.render(w, r, http.StatusCreated, "filed", v, func(v *view) {
		v.Title = v.T["filed_title"]
		if v.WF == nil {
			v.WF = &wfView{}
		}
		v.WF.Case, v.WF.Code = &row, code
	})
}

func (p *Portal) repairForm(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	ctx := r.Context()
	rec, err := p.findRecord(ctx, v, pr.Account.Subject, r.URL.Query().Get("record"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	e, err := p.wf().Eligibility(ctx, pr.Account.Subject, rec.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, http.StatusOK, "repair_new", v, func(v *view) {
		v.Title = v.T["repair_title"]
		v.WF = &wfView{Record: rec, Elig: e, ApplyFrom: dateOf(e.From), Commitment: p.wf().Commitment().Zh}
	})
}

func (p *Portal) repairFile(w http.ResponseWriter, r *http.Request) {
	pr, v, rec, ok := p.application(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sid := pr.Account.Subject
	e, err := p.wf().Eligibility(ctx, sid, rec.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = v.T["repair_title"]
	v.WF = &wfView{Record: rec, Elig: e, ApplyFrom: dateOf(e.From), Commitment: p.wf().Commitment().Zh}
	c, code, err := p.wf().FileRepair(ctx, pr.Actor(), workflow.Repair{SubjectID: sid, RecordID: rec.ID, Statement: r.FormValue("statement"),
		ObligationsMet: r.FormValue("obligations") == "yes", CommitmentAccepted: r.FormValue("commitment") == "yes",
		Applicant: workflow.Applicant{Name: pr.Account.Display, Contact: r.FormValue("contact")}})
	if err != nil {
		if !p.userError(w, r, v, err, "repair_new") {
			p.fail(w, r, v, err)
		}
		return
	}
	p.filed(w, r, pr, v, c, code, "repair.file")
}

// --- tracking (no account) ---

func (p *Portal) trackForm(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	p.render(w, r, http.StatusOK, "track", v, func(v *view) { v.Title, v.WF = v.T["track_title"], &wfView{} })
}

func (p *Portal) trackCase(w http.ResponseWriter, r *http.Request, v *view, code string) (*credit.Case, bool) {
	c, err := p.wf().ByTrackCode(r.Context(), code)
	if err != nil {
		status := http.StatusNotFound
		if credit.Is(credit.Invalid, err) {
			status = http.StatusBadRequest
		} else if !credit.Is(credit.NotFound, err) {
			p.fail(w, r, v, err)
			return nil, false
		}
		p.audit.Denied(r.Context(), auth.Anonymous(), "case.track", "tracking", "", remote(r))
		p.render(w, r, status, "track", v, func(v *view) { v.Title, v.Error, v.WF = v.T["track_title"], v.T["track_unknown"], &wfView{} })
		return nil, false
	}
	return c, true
}

func (p *Portal) renderTrack(w http.ResponseWriter, r *http.Request, v *view, c *credit.Case, code, msg string) {
	evs, err := p.wf().Events(r.Context(), c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	files, err := p.wf().Files(r.Context(), c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	row := v.caseRow(c, p.cfg.Now())
	wv := &wfView{Case: &row, Events: v.eventRows(evs, false), Files: files, Code: code, Message: msg,
		CanUpload: c.Open && code != "", Awaiting: c.State == workflow.StateAwaiting}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == "request_materials" {
			wv.Missing = evs[i].Data["missing"]
			break
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	p.render(w, r, http.StatusOK, "track", v, func(v *view) { v.Title, v.WF = v.T["track_title"], wv })
}

// trackPosted reads a posted tracking-code form and finds its case.
func (p *Portal) trackPosted(w http.ResponseWriter, r *http.Request, v *view) (c *credit.Case, code string, ok bool) {
	if !parseForm(w, r, 64<<10) {
		return nil, "", false
	}
	code = r.PostForm.Get("code")
	c, ok = p.trackCase(w, r, v, code)
	return c, code, ok
}

func (p *Portal) trackShow(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	c, code, ok := p.trackPosted(w, r, v)
	if !ok {
		return
	}
	p.renderTrack(w, r, v, c, code, "")
}

func (p *Portal) trackUpload(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	v := p.newView(w, r, pr)
	if err := r.ParseMultipartForm(p.wf().Rules().MaxFileBytes + 1<<20); err != nil {
		p.render(w, r, http.StatusBadRequest, "track", v, func(v *view) { v.Title, v.Error, v.WF = v.T["track_title"], v.T["track_upload_bad"], &wfView{} })
		return
	}
	code := r.FormValue("code")
	c, ok := p.trackCase(w, r, v, code)
	if !ok {
		return
	}
	up := pr
	if !up.Authenticated() {
		up = auth.Principal{Account: &credit.Account{Name: trackingApplicant}, Role: credit.RolePublic}
	}
	msg, ok := p.attach(r, v, up, c.ID)
	if ok {
		msg = v.T["track_uploaded"]
		p.audited(r, up, "case.file.add", "case:"+c.ID)
	}
	p.renderTrack(w, r, v, c, code, msg)
}

func (p *Portal) trackSupplement(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	c, code, ok := p.trackPosted(w, r, v)
	if !ok {
		return
	}
	msg := v.T["track_supplemented"]
	a := workflow.Actor{Name: trackingApplicant, Role: credit.RolePublic}
	if err := p.wf().Act(r.Context(), a, c.ID, workflow.Action{Name: "supplement", Reason: r.PostForm.Get("note")}); err != nil {
		if !credit.Is(credit.Conflict, err) {
			p.fail(w, r, v, err)
			return
		}
		msg = pii.RedactIDs(says(v, err))
	}
	c, err := p.wf().Case(r.Context(), c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.renderTrack(w, r, v, c, code, msg)
}

// --- console ---

func (p *Portal) staffOnly(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return pr, false
	}
	switch pr.Role {
	case credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept:
		return pr, true
	}
	v := p.newView(w, r, pr)
	p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["wf_staff_only"] })
	return pr, false
}

func (p *Portal) queue(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	kind := credit.CaseKind(r.URL.Query().Get("kind"))
	if kind != credit.CaseRepair && kind != credit.CaseBankruptcy {
		kind = credit.CaseObjection
	}
	unit := ""
	if pr.Role == credit.RoleDept {
		unit = pr.Account.Dept
	}
	items, err := p.wf().Queue(r.Context(), kind, unit)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "case.queue", "cases:"+string(kind), "办理异议与信用修复", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	now := p.cfg.Now()
	wv := &wfView{Kind: string(kind)}
	for i := range items {
		wv.Cases = append(wv.Cases, v.caseRow(&items[i].Case, now))
	}
	p.render(w, r, http.StatusOK, "queue", v, func(v *view) { v.Title, v.WF = v.T["queue_title_"+string(kind)], wv })
}

func (p *Portal) loadCase(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view) (*credit.Case, bool) {
	c, err := p.wf().Case(r.Context(), r.PathValue("id"))
	if err == nil && pr.Role == credit.RoleDept && c.Unit != pr.Account.Dept {
		err = credit.E("web", credit.NotFound, "not this unit's case")
	}
	if err != nil {
		p.fail(w, r, v, err)
		return nil, false
	}
	return c, true
}

func (p *Portal) renderCase(w http.ResponseWriter, r *http.Request, v *view, pr auth.Principal, c *credit.Case, status int) {
	ctx := r.Context()
	evs, err := p.wf().Events(ctx, c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	files, err := p.wf().Files(ctx, c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	row := v.caseRow(c, p.cfg.Now())
	wv := &wfView{Case: &row, Events: v.eventRows(evs, true), Files: files, Actions: workflow.Offered(c, pr.Role)}
	if c.RecordID != "" {
		if rec, err := p.findRecord(ctx, v, c.SubjectID, c.RecordID); err == nil {
			wv.Record = rec
		}
	}
	p.render(w, r, status, "case", v, func(v *view) {
		v.Title = row.KindName + " · " + row.StateName
		if v.WF == nil {
			v.WF = wv
		} else {
			msg := v.WF.Message
			v.WF = wv
			v.WF.Message = msg
		}
	})
}

func (p *Portal) caseDetail(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	c, ok := p.loadCase(w, r, pr, v)
	if !ok {
		return
	}
	if err := p.audit.Read(r.Context(), pr, "case.read", c.SubjectID, "办理异议与信用修复", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.renderCase(w, r, v, pr, c, http.StatusOK)
}

func (p *Portal) caseAction(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if !parseForm(w, r, 256<<10) {
		return
	}
	c, ok := p.loadCase(w, r, pr, v)
	if !ok {
		return
	}
	ctx := r.Context()
	err := p.wf().Act(ctx, pr.Actor(), c.ID, actionOf(r.PostForm))
	if err != nil {
		switch credit.KindOf(err) {
		case credit.Invalid, credit.Conflict, credit.Permission:
			v.WF = &wfView{Message: pii.RedactIDs(says(v, err))}
			if c, err = p.wf().Case(ctx, c.ID); err != nil {
				p.fail(w, r, v, err)
				return
			}
			p.renderCase(w, r, v, pr, c, http.StatusUnprocessableEntity)
		default:
			p.fail(w, r, v, err)
		}
		return
	}
	p.audited(r, pr, "case.act", "case:"+c.ID)
	http.Redirect(w, r, "/console/cases/"+c.ID, http.StatusSeeOther)
}

// actionOf reads the case page's form as a workflow step: the button
// pressed names it; the corrected field is one name and value; the missing
// materials are one a line.
func actionOf(f url.Values) workflow.Action {
	in := workflow.Action{Name: f.Get("action"), Reason: strings.TrimSpace(f.Get("reason")), Unit: f.Get("unit"),
		DocNo: f.Get("doc_no"), Missing: strings.Split(f.Get("missing"), "\n")}
	if k, val := strings.TrimSpace(f.Get("field")), strings.TrimSpace(f.Get("value")); k != "" {
		in.Fields = credit.Fields{k: val}
	}
	return in
}
