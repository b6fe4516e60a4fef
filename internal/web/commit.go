package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/workday"
)

// Pages of credit commitments and self-declared information: the
// subject's (sign a commitment, follow its own, declare information) and
// the console's (the unit's queue of commitments by due date with the
// fulfilment and breach decisions, the statistics with charts and the
// workbook, the issuer's declarations to check).

var cmPages = []string{"my_commitments", "commitment_new", "commitment", "commitment_queue", "commitment_stats",
	"my_declarations", "declaration_queue", "declaration"}

// cmView is the data of the commitment pages (view.CM).
type cmView struct {
	Commitments []cmRow
	Commitment  *cmRow
	Events      []eventRow
	Files       []credit.OwnedFile
	Matters     []matterRow
	Forbidden   []matterRow
	Draft       *draftView
	Answer      *answerView
	Units       []option
	Findings    []option
	Message     string
	CanAct      bool
	CanFulfil   bool
	CanUpload   bool
	State       string
	// Stats pages.
	Stats  []statRow2
	Total  *statRow2
	Chart  *sanctionChart
	Chart2 *sanctionChart
	Since  string
	XLSX   string
	// Declarations.
	Declarations []declRow
	Declaration  *declRow
	Kinds        []option
	Issuers      []option
	Commitment2  string // the declaration commitment's text
}

type cmRow struct {
	ID, Code, Subject, SubjectName, Matter, MatterName, Kind, KindName, Unit, UnitName string
	Signed, Due, DecideBy, State, StateName, Channel, Signer, SignerRole, Document     string
	Approval, Disclosure, Promise, Consequences, CheckID, RecordID                     string
	Materials                                                                          []string
	Late, Escalated, Open, Provisional                                                 bool
}

type matterRow struct {
	Code, Name, Reason string
	Basis              string
	Templates          []templateRow
}

type templateRow struct {
	Kind, KindName, Due string
}

type draftView struct {
	Matter, MatterName, Kind, KindName, Unit      string
	Promise, Consequences, Due, Disclosure, Basis string
	Provisional, Revokes, Materials, Eligibility  bool
	MaterialsText                                 string
}

type answerView struct {
	ID         string
	Eligible   bool
	Reasons    []said
	Notes      []said
	Conditions []said
}

// said is a reason in the page's language with its code.
type said struct{ Code, Text string }

type statRow2 struct {
	commit.Stat
	MatterName, UnitName, Rate string
}

type declRow struct {
	ID, Subject, Kind, KindName, Issuer, IssuerName, Title, Number, IssuedOn, ValidUntil string
	Description, State, StateName, RecordID, Reason                                      string
	Pending                                                                              bool
}

// --- names ---

// CommitmentKind names a kind of commitment.
func (n names) CommitmentKind(code string) string {
	if n.cat != nil {
		if k, err := n.cat.CommitmentKind(code); err == nil {
			return n.pick(k.Name, k.NameEn)
		}
	}
	return code
}

// DeclarationKind names a kind of self-declared information.
func (n names) DeclarationKind(code string) string {
	if n.cat != nil {
		if k, err := n.cat.DeclarationKind(code); err == nil {
			return n.pick(k.Name, k.NameEn)
		}
	}
	return code
}

// CmState names the state of a commitment or declaration.
func (n names) CmState(s string) string { return n.key("cm_state_"+s, s) }

// CmAction names a step of a commitment or declaration.
func (n names) CmAction(a string) string { return n.key("cm_action_"+a, a) }

// --- routes ---

func (p *Portal) cmRoutes() error {
	for _, name := range cmPages {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/wf_parts.html", "templates/chart.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /my/commitments", p.myCommitments)
	p.mux.HandleFunc("GET /my/commitments/new", p.commitmentForm)
	p.mux.HandleFunc("POST /my/commitments", p.commitmentSign)
	p.mux.HandleFunc("GET /my/commitments/{id}", p.myCommitment)
	p.mux.HandleFunc("POST /my/commitments/{id}/files", p.commitmentUpload)
	p.mux.HandleFunc("GET /my/declarations", p.myDeclarations)
	p.mux.HandleFunc("POST /my/declarations", p.declare)
	p.mux.HandleFunc("POST /my/declarations/{id}/withdraw", p.declarationWithdraw)
	p.mux.HandleFunc("GET /console/commitments", p.commitmentQueue)
	p.mux.HandleFunc("GET /console/commitments/stats", p.commitmentStats)
	p.mux.HandleFunc("GET /console/commitments/stats.xlsx", p.commitmentStatsXLSX)
	p.mux.HandleFunc("GET /console/commitments/{id}", p.commitmentDetail)
	p.mux.HandleFunc("POST /console/commitments/{id}", p.commitmentAction)
	p.mux.HandleFunc("POST /console/commitments/{id}/files", p.commitmentUpload)
	p.mux.HandleFunc("GET /console/declarations", p.declarationQueue)
	p.mux.HandleFunc("GET /console/declarations/{id}", p.declarationDetail)
	p.mux.HandleFunc("POST /console/declarations/{id}", p.declarationAction)
	return nil
}

func (p *Portal) cm() *commit.Service { return p.cfg.Commit }

// refused audits a refusal the commitment service marked (the portal has
// no wrapper that audits Permission refusals: it audits them all).
func (p *Portal) refused(r *http.Request, pr auth.Principal, action, target string, err error) {
	if _, ok := commit.Refused(err); ok {
		p.audit.Denied(r.Context(), pr, action, target, "", remote(r))
	}
}

// --- rows ---

func (v *view) cmRow(c *credit.Commitment, now time.Time, subjectName string) cmRow {
	return cmRow{ID: c.ID, Code: c.Code, Subject: c.SubjectID, SubjectName: subjectName, Matter: c.Matter, MatterName: v.N.Matter(c.Matter),
		Kind: c.Kind, KindName: v.N.CommitmentKind(c.Kind), Unit: c.Unit, UnitName: v.N.Dept(c.Unit), Signed: dateOf(c.SignedOn),
		Due: dateOf(c.Due), DecideBy: dateOf(c.DecideBy), State: c.State, StateName: v.N.CmState(c.State), Channel: v.T["cm_channel_"+c.Detail.Channel],
		Signer: c.Detail.Signer, SignerRole: c.Detail.SignerRole, Document: c.Detail.Document, Approval: c.Approval, Disclosure: c.Detail.Disclosure,
		Promise: c.Detail.Promise, Consequences: c.Detail.Consequences, CheckID: c.CheckID, RecordID: c.RecordID, Materials: c.Detail.Materials,
		Late: c.Open && workday.Overdue(c.Due, now), Escalated: c.State == commit.StateOverdue && workday.Overdue(c.DecideBy, now),
		Open: c.Open, Provisional: c.Detail.DueProvisional}
}

func (v *view) trackRows(evs []credit.TrackEvent, staff bool) []eventRow {
	out := make([]eventRow, 0, len(evs))
	for _, ev := range evs {
		er := eventRow{At: timeOf(ev.At), Action: ev.Action, ActionName: v.N.CmAction(ev.Action), StateName: v.N.CmState(ev.State), Reason: ev.Reason}
		if staff {
			er.Actor = v.N.Actor(ev.Actor)
		} else {
			er.Actor = v.T["role_"+string(ev.Role)]
			if ev.Actor == commit.Platform.Name {
				er.Actor = v.T["actor_platform"]
			}
		}
		switch ev.Action {
		case "overdue":
			// The platform's own words, in the page's language.
			er.Reason = fmt.Sprintf(v.T["event_overdue_since"], ev.Data["due"])
		case "escalate":
			er.Reason = fmt.Sprintf(v.T["cm_undecided_since"], ev.Data["decide_by"])
		}
		for _, k := range []string{"doc_no", "finding", "approval", "due", "decide_by"} {
			if val := ev.Data[k]; val != "" {
				if k == "finding" {
					val = v.T["cm_finding_"+val]
				}
				er.Data = append(er.Data, row{Label: v.T["cm_data_"+k], Value: val})
			}
		}
		out = append(out, er)
	}
	return out
}

func (v *view) declRow(d *credit.Declaration) declRow {
	return declRow{ID: d.ID, Subject: d.SubjectID, Kind: d.Kind, KindName: v.N.DeclarationKind(d.Kind), Issuer: d.Issuer, IssuerName: v.N.Dept(d.Issuer),
		Title: d.Title, Number: d.Number, IssuedOn: dateOf(d.IssuedOn), ValidUntil: dateOf(d.ValidUntil), Description: d.Description,
		State: d.State, StateName: v.N.CmState(d.State), RecordID: d.RecordID, Reason: d.Reason, Pending: d.State == commit.DeclPending}
}

// --- the subject's pages ---

func (p *Portal) myCommitments(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	cs, err := p.cm().SubjectCommitments(r.Context(), pr.Account.Subject)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	cv := &cmView{}
	now := p.cfg.Now()
	for i := range cs {
		cv.Commitments = append(cv.Commitments, v.cmRow(&cs[i], now, ""))
	}
	cv.Matters, cv.Forbidden = p.matterRows(v)
	p.render(w, r, http.StatusOK, "my_commitments", v, func(v *view) { v.Title, v.CM = v.T["cm_my_title"], cv })
}

// matterRows are the matters that take commitments, with their templates,
// and those the law keeps from them.
func (p *Portal) matterRows(v *view) (allowed, forbidden []matterRow) {
	for _, m := range p.cfg.Catalog.Commitments.Matters {
		mr := matterRow{Code: m.Matter, Name: v.N.Matter(m.Matter), Basis: basisText(m.Basis)}
		if !m.Allowed {
			mr.Reason = v.N.pick(m.Reason, m.ReasonEn)
			forbidden = append(forbidden, mr)
			continue
		}
		for _, t := range m.Templates {
			due := v.T["cm_due_none"]
			if t.DueWorkdays > 0 {
				due = fmt.Sprintf(v.T["cm_workdays"], t.DueWorkdays)
			}
			mr.Templates = append(mr.Templates, templateRow{Kind: t.Kind, KindName: v.N.CommitmentKind(t.Kind), Due: due})
		}
		allowed = append(allowed, mr)
	}
	return allowed, forbidden
}

func basisText(bs []catalog.Basis) string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.String()
	}
	return strings.Join(out, "；")
}

// signing reads the signing form (or the form page's query) as a signing
// of the signed-in subject.
func signingOf(pr auth.Principal, f url.Values) commit.Signing {
	var mats []string
	for _, l := range strings.Split(f.Get("materials"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			mats = append(mats, l)
		}
	}
	return commit.Signing{SubjectID: pr.Account.Subject, Matter: f.Get("matter"), Kind: f.Get("kind"), Unit: f.Get("unit"),
		Signer: strings.TrimSpace(f.Get("signer")), SignerRole: strings.TrimSpace(f.Get("signer_role")), Materials: mats, Accepted: f.Get("accept") == "yes"}
}

// signPage fills the signing page: the template for the unit chosen (the
// first that accepts it by default), the due date, and for a 容缺受理
// commitment the subject's eligibility now, with every reason.
func (p *Portal) signPage(r *http.Request, pr auth.Principal, v *view, in commit.Signing) (*cmView, error) {
	ctx := r.Context()
	mc, err := p.cfg.Catalog.MatterCommitments(in.Matter)
	if err != nil {
		return nil, err
	}
	if mc == nil || !mc.Allowed || mc.Template(in.Kind) == nil {
		// The service says why, in the page's language.
		_, err := p.cm().Draft(ctx, in)
		if err == nil {
			err = credit.E("web.sign", credit.NotFound, "no template")
		}
		return nil, err
	}
	t := mc.Template(in.Kind)
	cv := &cmView{}
	for _, d := range p.cm().Units(t) {
		if in.Unit == "" {
			in.Unit = d.Code
		}
		cv.Units = append(cv.Units, option{Code: d.Code, Name: v.N.Dept(d.Code), Selected: d.Code == in.Unit})
	}
	d, err := p.cm().Draft(ctx, in)
	if err != nil {
		return nil, err
	}
	dv := &draftView{Matter: in.Matter, MatterName: v.N.Matter(in.Matter), Kind: in.Kind, KindName: v.N.CommitmentKind(in.Kind), Unit: in.Unit,
		Promise: v.N.pick(d.Promise.Zh, d.Promise.En), Consequences: v.N.pick(d.Consequences.Zh, d.Consequences.En), Due: dateOf(d.Due),
		Disclosure: d.Disclosure, Basis: basisText(d.Basis), Provisional: d.Provisional, Revokes: d.Revokes, Materials: d.Materials,
		Eligibility: d.Eligibility, MaterialsText: strings.Join(in.Materials, "\n")}
	cv.Draft = dv
	if d.Eligibility {
		a, err := p.cm().Eligibility(ctx, pr.Actor(), pr.Account.Subject, in.Matter)
		if err != nil {
			return nil, err
		}
		cv.Answer = v.answerView(a)
	}
	return cv, nil
}

func (v *view) answerView(a *commit.Answer) *answerView {
	av := &answerView{ID: a.ID, Eligible: a.Eligible}
	say := func(rs []commit.Reason) []said {
		out := make([]said, len(rs))
		for i, x := range rs {
			out[i] = said{Code: x.Code, Text: v.N.pick(x.MessageZh, x.Message)}
		}
		return out
	}
	av.Reasons, av.Notes, av.Conditions = say(a.Reasons), say(a.Notes), say(a.Conditions)
	return av
}

func (p *Portal) commitmentForm(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	in := signingOf(pr, r.URL.Query())
	cv, err := p.signPage(r, pr, v, in)
	if err != nil {
		p.refused(r, pr, "commitment.sign", pr.Account.Subject, err)
		if !p.cmUserError(w, r, v, err, "my_commitments", func(cv *cmView) { cv.Matters, cv.Forbidden = p.matterRows(v) }) {
			p.fail(w, r, v, err)
		}
		return
	}
	p.render(w, r, http.StatusOK, "commitment_new", v, func(v *view) { v.Title, v.CM = v.T["cm_new_title"], cv })
}

// cmUserError renders a refusal the user can act on (Invalid, Conflict,
// Permission) on page, with fill preparing the rest of it.
func (p *Portal) cmUserError(w http.ResponseWriter, r *http.Request, v *view, err error, page string, fill func(*cmView)) bool {
	switch credit.KindOf(err) {
	case credit.Invalid, credit.Conflict, credit.Permission:
		msg := pii.RedactIDs(says(v, err))
		p.render(w, r, http.StatusUnprocessableEntity, page, v, func(v *view) {
			if v.CM == nil {
				v.CM = &cmView{}
			}
			if fill != nil {
				fill(v.CM)
			}
			v.Error = msg
			if v.Title == "" {
				v.Title = v.T["cm_my_title"]
			}
		})
		return true
	}
	return false
}

func (p *Portal) commitmentSign(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if !parseForm(w, r, 256<<10) {
		return
	}
	in := signingOf(pr, r.PostForm)
	c, ans, err := p.cm().Sign(r.Context(), pr.Actor(), in)
	if err != nil {
		p.refused(r, pr, "commitment.sign", pr.Account.Subject, err)
		v.Title = v.T["cm_new_title"]
		cv, perr := p.signPage(r, pr, v, in)
		if perr != nil {
			cv = &cmView{}
		}
		if ans != nil {
			cv.Answer = v.answerView(ans)
		}
		if !p.cmUserError(w, r, v, err, "commitment_new", func(x *cmView) { *x = *cv }) {
			p.fail(w, r, v, err)
		}
		return
	}
	p.audited(r, pr, "commitment.sign", pr.Account.Subject)
	http.Redirect(w, r, "/my/commitments/"+c.ID, http.StatusSeeOther)
}

// loadCommitment reads the commitment of the path within the signed-in
// account's scope: a subject its own, a department those its unit
// accepted; another's is not found.
func (p *Portal) loadCommitment(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view) (*credit.Commitment, bool) {
	c, err := p.cm().Commitment(r.Context(), r.PathValue("id"))
	if err == nil {
		switch pr.Role {
		case credit.RoleSubject:
			if c.SubjectID != pr.Account.Subject {
				err = credit.E("web", credit.NotFound, "not this subject's commitment")
			}
		case credit.RoleDept:
			if c.Unit != pr.Account.Dept {
				err = credit.E("web", credit.NotFound, "not this unit's commitment")
			}
		}
	}
	if err != nil {
		p.fail(w, r, v, err)
		return nil, false
	}
	return c, true
}

func (p *Portal) renderCommitment(w http.ResponseWriter, r *http.Request, v *view, pr auth.Principal, c *credit.Commitment, status int, msg string) {
	ctx := r.Context()
	evs, err := p.cm().Events(ctx, c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	files, err := p.cm().Files(ctx, c.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	name := ""
	if s, err := p.cfg.Store.Subject(ctx, c.SubjectID); err == nil {
		name = s.Name
	}
	row := v.cmRow(c, p.cfg.Now(), name)
	staff := pr.Role != credit.RoleSubject
	cv := &cmView{Commitment: &row, Events: v.trackRows(evs, staff), Files: files, Message: msg}
	if staff {
		cv.CanFulfil = c.State == commit.StateDue || c.State == commit.StateOverdue
		cv.CanAct = c.Open || c.State == commit.StateFulfilled
		cv.CanUpload = true
		for _, f := range []string{commit.FindingUnperformed, commit.FindingPartial, commit.FindingFalse} {
			cv.Findings = append(cv.Findings, option{Code: f, Name: v.T["cm_finding_"+f]})
		}
	} else {
		cv.CanUpload = c.Open
	}
	page := "commitment"
	p.render(w, r, status, page, v, func(v *view) {
		v.Title, v.CM = v.T["cm_detail_title"]+" "+c.Code, cv
		v.WF = &wfView{Events: cv.Events} // the shared history table
	})
}

func (p *Portal) myCommitment(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	c, ok := p.loadCommitment(w, r, pr, v)
	if !ok {
		return
	}
	p.renderCommitment(w, r, v, pr, c, http.StatusOK, "")
}

// commitmentUpload attaches the uploaded files to a commitment: its
// subject (/my/...) or its unit (/console/...).
func (p *Portal) commitmentUpload(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	mine := strings.HasPrefix(r.URL.Path, "/my/")
	var ok bool
	if mine {
		pr, ok = p.subjectOnly(w, r)
	} else {
		pr, ok = p.staffOnly(w, r)
	}
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if err := r.ParseMultipartForm(p.cfgMaxFile() + 1<<20); err != nil {
		p.fail(w, r, v, credit.E("web", credit.Invalid, "bad form"))
		return
	}
	c, ok := p.loadCommitment(w, r, pr, v)
	if !ok {
		return
	}
	msg, _ := p.attachOwned(r, v, pr, c.ID, "file")
	if msg != "" {
		p.renderCommitment(w, r, v, pr, c, http.StatusUnprocessableEntity, msg)
		return
	}
	p.audited(r, pr, "commitment.file.add", c.SubjectID)
	to := "/console/commitments/" + c.ID
	if mine {
		to = "/my/commitments/" + c.ID
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *Portal) cfgMaxFile() int64 {
	if p.cfg.Workflow != nil {
		return p.cfg.Workflow.Rules().MaxFileBytes
	}
	return 10 << 20
}

// attachOwned stores a form's files under field to a commitment or
// declaration; a refusal is said in the page's language.
func (p *Portal) attachOwned(r *http.Request, v *view, pr auth.Principal, of, field string) (string, bool) {
	if r.MultipartForm == nil {
		return "", true
	}
	for _, fh := range r.MultipartForm.File[field] {
		f, err := fh.Open()
		if err != nil {
			return v.T["track_upload_bad"], false
		}
		body, err := io.ReadAll(io.LimitReader(f, p.cfgMaxFile()+1))
		f.Close()
		if err != nil {
			return v.T["track_upload_bad"], false
		}
		if _, err := p.cm().AddFile(r.Context(), pr.Actor(), of, fh.Filename, fh.Header.Get("Content-Type"), body); err != nil {
			p.refused(r, pr, "file.add", of, err)
			return pii.RedactIDs(says(v, err)), false
		}
	}
	return "", true
}

// --- the console ---

func (p *Portal) commitmentQueue(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	unit := ""
	if pr.Role == credit.RoleDept {
		unit = pr.Account.Dept
	}
	state := r.URL.Query().Get("state")
	var states []string
	if state == commit.StateOverdue {
		states = []string{commit.StateOverdue}
	}
	items, err := p.cm().Queue(r.Context(), unit, states...)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "commitment.queue", "commitments:"+unit, "信用承诺履约跟踪", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	cv := &cmView{State: state}
	now := p.cfg.Now()
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.SubjectID)
	}
	subs, _ := subjectNames(r, p, ids)
	for i := range items {
		cv.Commitments = append(cv.Commitments, v.cmRow(&items[i].Commitment, now, subs[items[i].SubjectID]))
	}
	p.render(w, r, http.StatusOK, "commitment_queue", v, func(v *view) { v.Title, v.CM = v.T["cm_queue_title"], cv })
}

// subjectNames names subjects for a page (persons by their masked name
// as the store keeps it).
func subjectNames(r *http.Request, p *Portal, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if s, err := p.cfg.Store.Subject(r.Context(), id); err == nil {
			out[id] = s.Name
		}
	}
	return out, nil
}

func (p *Portal) commitmentDetail(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	c, ok := p.loadCommitment(w, r, pr, v)
	if !ok {
		return
	}
	if err := p.audit.Read(r.Context(), pr, "commitment.read", c.SubjectID, "信用承诺履约跟踪", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.renderCommitment(w, r, v, pr, c, http.StatusOK, "")
}

func (p *Portal) commitmentAction(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if !parseForm(w, r, 256<<10) {
		return
	}
	c, ok := p.loadCommitment(w, r, pr, v)
	if !ok {
		return
	}
	ctx, f := r.Context(), r.PostForm
	var err error
	switch f.Get("action") {
	case "fulfil":
		_, err = p.cm().Fulfil(ctx, pr.Actor(), c.ID, f.Get("note"))
	case "break":
		_, err = p.cm().Break(ctx, pr.Actor(), c.ID, commit.Breach{DocNo: strings.TrimSpace(f.Get("doc_no")), Reason: strings.TrimSpace(f.Get("reason")),
			Finding: f.Get("finding"), Unperformed: strings.TrimSpace(f.Get("unperformed"))})
	default:
		err = credit.Say("web.commitment", credit.Invalid, "请选择办理环节", "choose a step")
	}
	if err != nil {
		p.refused(r, pr, "commitment.act", c.SubjectID, err)
		switch credit.KindOf(err) {
		case credit.Invalid, credit.Conflict, credit.Permission:
			if now, lerr := p.cm().Commitment(ctx, c.ID); lerr == nil {
				p.renderCommitment(w, r, v, pr, now, http.StatusUnprocessableEntity, pii.RedactIDs(says(v, err)))
				return
			}
		}
		p.fail(w, r, v, err)
		return
	}
	p.audited(r, pr, "commitment.act", c.SubjectID)
	http.Redirect(w, r, "/console/commitments/"+c.ID, http.StatusSeeOther)
}

// statsFor reads the statistics the page or the workbook shows: since a
// date (?since=), a department's own unit only.
func (p *Portal) statsFor(w http.ResponseWriter, r *http.Request) (auth.Principal, *view, []commit.Stat, time.Time, bool) {
	pr, ok := p.staffOrAuditor(w, r)
	if !ok {
		return pr, nil, nil, time.Time{}, false
	}
	v := p.newView(w, r, pr)
	var since time.Time
	if s := r.URL.Query().Get("since"); s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
		if err != nil {
			p.fail(w, r, v, credit.E("web", credit.NotFound, "bad date"))
			return pr, nil, nil, time.Time{}, false
		}
		since = t
	}
	unit := ""
	if pr.Role == credit.RoleDept {
		unit = pr.Account.Dept
	}
	stats, err := p.cm().Stats(r.Context(), since, unit)
	if err != nil {
		p.fail(w, r, v, err)
		return pr, nil, nil, time.Time{}, false
	}
	return pr, v, stats, since, true
}

// staffOrAuditor is staffOnly that also lets auditors read.
func (p *Portal) staffOrAuditor(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	if pr := p.principal(r); pr.Role == credit.RoleAuditor {
		return pr, true
	}
	return p.staffOnly(w, r)
}

func (p *Portal) commitmentStats(w http.ResponseWriter, r *http.Request) {
	_, v, stats, since, ok := p.statsFor(w, r)
	if !ok {
		return
	}
	cv := &cmView{Since: dateOf(since), XLSX: "/console/commitments/stats.xlsx"}
	if !since.IsZero() {
		cv.XLSX += "?since=" + dateOf(since)
	}
	row := func(st commit.Stat) statRow2 {
		rate := "—"
		if x := st.Rate(); x >= 0 {
			rate = fmt.Sprintf("%.0f%%", x*100)
		}
		return statRow2{Stat: st, MatterName: v.N.Matter(st.Matter), UnitName: v.N.Dept(st.Unit), Rate: rate}
	}
	for _, st := range stats {
		cv.Stats = append(cv.Stats, row(st))
	}
	if len(stats) > 0 {
		t := row(commit.Total(stats))
		cv.Total = &t
		series := []string{v.T["cm_stats_signed"], v.T["cm_stats_fulfilled"], v.T["cm_stats_overdue"], v.T["cm_stats_broken"]}
		chart := func(title string, rows []commit.Stat, label func(commit.Stat) string) *sanctionChart {
			var labels, text []string
			var vals [][]float64
			for _, st := range rows {
				labels = append(labels, label(st))
				vals = append(vals, []float64{float64(st.Signed), float64(st.Fulfilled), float64(st.Overdue), float64(st.Broken)})
				text = append(text, fmt.Sprintf("%d / %d / %d / %d", st.Signed, st.Fulfilled, st.Overdue, st.Broken))
			}
			return newChart(title, series, labels, vals, text)
		}
		cv.Chart = chart(v.T["cm_stats_by_matter"], commit.ByMatter(stats), func(st commit.Stat) string { return v.N.Matter(st.Matter) })
		cv.Chart2 = chart(v.T["cm_stats_by_unit"], commit.ByUnit(stats), func(st commit.Stat) string { return v.N.Dept(st.Unit) })
	}
	p.render(w, r, http.StatusOK, "commitment_stats", v, func(v *view) { v.Title, v.CM = v.T["cm_stats_title"], cv })
}

func (p *Portal) commitmentStatsXLSX(w http.ResponseWriter, r *http.Request) {
	_, v, stats, since, ok := p.statsFor(w, r)
	if !ok {
		return
	}
	zh := names{cat: p.cfg.Catalog, T: messages["zh"]}
	b, err := commit.XLSX(stats, since, func(code string) string {
		if _, err := p.cfg.Catalog.Matter(code); err == nil {
			return zh.Matter(code)
		}
		return zh.Dept(code)
	})
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="commitments.xlsx"; filename*=UTF-8''`+url.PathEscape("信用承诺履约统计.xlsx"))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// --- self-declared information ---

func (p *Portal) declarationPage(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view, status int, msg string) {
	ds, err := p.cm().Declarations(r.Context(), pr.Account.Subject, "")
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	cv := &cmView{Message: msg, Commitment2: v.N.pick(p.cfg.Catalog.Commitments.Declarations.Commitment, p.cfg.Catalog.Commitments.Declarations.CommitmentEn)}
	for i := range ds {
		cv.Declarations = append(cv.Declarations, v.declRow(&ds[i]))
	}
	for _, k := range p.cm().DeclarationKinds() {
		cv.Kinds = append(cv.Kinds, option{Code: k.Code, Name: v.N.DeclarationKind(k.Code)})
	}
	for _, d := range p.cfg.Catalog.Departments {
		cv.Issuers = append(cv.Issuers, option{Code: d.Code, Name: v.N.Dept(d.Code)})
	}
	p.render(w, r, status, "my_declarations", v, func(v *view) {
		v.Title, v.CM = v.T["decl_my_title"], cv
		if msg != "" {
			v.Error = msg
		}
	})
}

func (p *Portal) myDeclarations(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	p.declarationPage(w, r, pr, p.newView(w, r, pr), http.StatusOK, "")
}

func (p *Portal) declare(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if err := r.ParseMultipartForm(p.cfgMaxFile() + 1<<20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p.fail(w, r, v, credit.E("web", credit.Invalid, "bad form"))
		return
	}
	day := func(field string) (time.Time, error) {
		s := strings.TrimSpace(r.FormValue(field))
		if s == "" {
			return time.Time{}, nil
		}
		t, err := catalog.ParseDate(s)
		if err != nil {
			return time.Time{}, credit.Say("web.declare", credit.Invalid, "日期须为YYYY-MM-DD：%s", "a date is YYYY-MM-DD: %s", s)
		}
		return t, nil
	}
	issued, err := day("issued_on")
	var until time.Time
	if err == nil {
		until, err = day("valid_until")
	}
	var d *credit.Declaration
	if err == nil {
		d, err = p.cm().Declare(r.Context(), pr.Actor(), commit.Declaring{SubjectID: pr.Account.Subject, Kind: r.FormValue("kind"), Issuer: r.FormValue("issuer"),
			Title: r.FormValue("title"), Number: r.FormValue("number"), IssuedOn: issued, ValidUntil: until, Description: r.FormValue("description"),
			Accepted: r.FormValue("accept") == "yes"})
	}
	if err != nil {
		p.refused(r, pr, "declaration.file", pr.Account.Subject, err)
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Conflict || k == credit.Permission {
			p.declarationPage(w, r, pr, v, http.StatusUnprocessableEntity, pii.RedactIDs(says(v, err)))
			return
		}
		p.fail(w, r, v, err)
		return
	}
	msg, _ := p.attachOwned(r, v, pr, d.ID, "evidence")
	p.audited(r, pr, "declaration.file", pr.Account.Subject)
	if msg != "" {
		p.declarationPage(w, r, pr, v, http.StatusUnprocessableEntity, msg)
		return
	}
	http.Redirect(w, r, "/my/declarations", http.StatusSeeOther)
}

func (p *Portal) declarationWithdraw(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.subjectOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if _, err := p.cm().Withdraw(r.Context(), pr.Actor(), r.PathValue("id")); err != nil {
		p.refused(r, pr, "declaration.act", pr.Account.Subject, err)
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Conflict || k == credit.Permission {
			p.declarationPage(w, r, pr, v, http.StatusUnprocessableEntity, pii.RedactIDs(says(v, err)))
			return
		}
		p.fail(w, r, v, err)
		return
	}
	p.audited(r, pr, "declaration.act", pr.Account.Subject)
	http.Redirect(w, r, "/my/declarations", http.StatusSeeOther)
}

func (p *Portal) declarationQueue(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	issuer := ""
	if pr.Role == credit.RoleDept {
		issuer = pr.Account.Dept
	}
	ds, err := p.cm().Declarations(r.Context(), "", issuer, commit.DeclPending)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.audit.Read(r.Context(), pr, "declaration.queue", "declarations:"+issuer, "核实自主申报信息", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	cv := &cmView{}
	for i := range ds {
		cv.Declarations = append(cv.Declarations, v.declRow(&ds[i]))
	}
	p.render(w, r, http.StatusOK, "declaration_queue", v, func(v *view) { v.Title, v.CM = v.T["decl_queue_title"], cv })
}

func (p *Portal) loadDeclaration(w http.ResponseWriter, r *http.Request, pr auth.Principal, v *view) (*credit.Declaration, bool) {
	d, err := p.cm().Declaration(r.Context(), r.PathValue("id"))
	if err == nil && pr.Role == credit.RoleDept && d.Issuer != pr.Account.Dept {
		err = credit.E("web", credit.NotFound, "not this unit's declaration")
	}
	if err != nil {
		p.fail(w, r, v, err)
		return nil, false
	}
	return d, true
}

func (p *Portal) renderDeclaration(w http.ResponseWriter, r *http.Request, v *view, d *credit.Declaration, status int, msg string) {
	ctx := r.Context()
	evs, err := p.cm().Events(ctx, d.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	files, err := p.cm().Files(ctx, d.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	row := v.declRow(d)
	if s, err := p.cfg.Store.Subject(ctx, d.SubjectID); err == nil {
		row.Subject = s.Name + "（" + d.SubjectID + "）"
	}
	cv := &cmView{Declaration: &row, Events: v.trackRows(evs, true), Files: files, Message: msg}
	p.render(w, r, status, "declaration", v, func(v *view) {
		v.Title, v.CM = v.T["decl_queue_title"], cv
		v.WF = &wfView{Events: cv.Events}
	})
}

func (p *Portal) declarationDetail(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	d, ok := p.loadDeclaration(w, r, pr, v)
	if !ok {
		return
	}
	if err := p.audit.Read(r.Context(), pr, "declaration.read", d.SubjectID, "核实自主申报信息", remote(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.renderDeclaration(w, r, v, d, http.StatusOK, "")
}

func (p *Portal) declarationAction(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.staffOnly(w, r)
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	if !parseForm(w, r, 64<<10) {
		return
	}
	d, ok := p.loadDeclaration(w, r, pr, v)
	if !ok {
		return
	}
	ctx, f := r.Context(), r.PostForm
	var err error
	switch f.Get("action") {
	case "confirm":
		_, err = p.cm().Confirm(ctx, pr.Actor(), d.ID, f.Get("authority_code"), f.Get("note"))
	case "reject":
		_, err = p.cm().Reject(ctx, pr.Actor(), d.ID, f.Get("reason"))
	default:
		err = credit.Say("web.declaration", credit.Invalid, "请选择办理环节", "choose a step")
	}
	if err != nil {
		p.refused(r, pr, "declaration.act", d.SubjectID, err)
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Conflict || k == credit.Permission {
			if d, err2 := p.cm().Declaration(ctx, d.ID); err2 == nil {
				p.renderDeclaration(w, r, v, d, http.StatusUnprocessableEntity, pii.RedactIDs(says(v, err)))
				return
			}
		}
		p.fail(w, r, v, err)
		return
	}
	p.audited(r, pr, "declaration.act", d.SubjectID)
	http.Redirect(w, r, "/console/declarations/"+d.ID, http.StatusSeeOther)
}
