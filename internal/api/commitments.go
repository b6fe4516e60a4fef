package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/publish"
)

// commitRoutes are the routes of credit commitments (信用承诺), 容缺受理
// eligibility, fulfilment tracking and self-declared information (自主申报).
func (a *API) commitRoutes() []Route {
	const (
		admin    = credit.RoleAdmin
		reviewer = credit.RoleReviewer
		dept     = credit.RoleDept
		business = credit.RoleBusiness
		auditor  = credit.RoleAuditor
		subject  = credit.RoleSubject
	)
	p := Prefix
	return []Route{
		{Method: "GET", Path: p + "/commitments/matters", Roles: everyone, Action: "commitment.matters.read",
			Summary: "Which matters may be handled by commitment, with their templates (what is promised, by when, the consequences, the basis) and 容缺受理 conditions; which may not, and why", Handler: a.commitMatters},
		{Method: "POST", Path: p + "/commitments/eligibility", Roles: roles(admin, reviewer, dept, business, subject), Audited: true, Action: "commitment.eligibility",
			Summary: "Whether a subject may be accepted on a commitment for a matter (容缺受理), with every reason; the answer is kept under its ID", Handler: a.commitEligibility},
		{Method: "GET", Path: p + "/commitments/eligibility/{id}", Roles: roles(admin, reviewer, dept, business, auditor), Purpose: true, Action: "commitment.eligibility.read",
			Summary: "A kept eligibility answer, as it was given", Handler: a.commitAnswer},
		{Method: "POST", Path: p + "/commitments", Roles: roles(admin, reviewer, dept, business, subject), Audited: true, Action: "commitment.sign",
			Summary: "Sign a commitment (a subject for itself) or register one signed at a counter (the accepting unit's department or business system); refused, and audited, for a matter that takes no commitment, an ineligible subject, or another subject", Handler: a.commitSign},
		{Method: "GET", Path: p + "/commitments", Roles: roles(admin, reviewer, dept, business, auditor), Purpose: true, Action: "commitment.queue",
			Summary: "Commitments followed, earliest due date first (a unit sees those it accepted)", Handler: a.commitQueue},
		{Method: "GET", Path: p + "/commitments/stats", Roles: roles(admin, reviewer, dept, auditor), Action: "commitment.stats",
			Summary: "Commitments signed, fulfilled, overdue and broken by matter and unit; ?format=xlsx for the workbook", Handler: a.commitStats},
		{Method: "POST", Path: p + "/commitments/sweep", Roles: roles(admin), Audited: true, Action: "commitment.sweep",
			Summary: "Move commitments past their due date to overdue and escalate undecided ones now (the server does it hourly)", Handler: a.commitSweep},
		{Method: "GET", Path: p + "/commitments/{id}", Roles: roles(admin, reviewer, dept, business, auditor, subject), Purpose: true, Action: "commitment.read",
			Summary: "One commitment with its history and files", Handler: a.commitRead},
		{Method: "POST", Path: p + "/commitments/{id}/actions", Roles: roles(admin, reviewer, dept, business), Audited: true, Action: "commitment.act",
			Summary: "Record a commitment fulfilled (the accepting unit), or decide it broken or false with a decision document (its officers)", Handler: a.commitAct},
		{Method: "POST", Path: p + "/commitments/{id}/files", Roles: roles(admin, reviewer, dept, business, subject), Audited: true, Action: "commitment.file.add",
			Summary: "Attach a file (the signed document, a decision; PDF, JPEG or PNG) as the raw request body", Handler: a.commitAddFile},
		{Method: "GET", Path: p + "/commitments/{id}/files/{file}", Roles: roles(admin, reviewer, dept, business, auditor, subject), Purpose: true, Action: "commitment.file.read",
			Summary: "Metadata and content (base64) of one file of a commitment", Handler: a.commitFile},
		{Method: "GET", Path: p + "/subjects/{id}/commitments", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "subject.commitments.read",
			Summary: "A subject's commitments with their states", Handler: a.subjectCommitments},

		{Method: "POST", Path: p + "/declarations", Roles: roles(subject), Audited: true, Action: "declaration.file",
			Summary: "Declare information about oneself (自主申报): honours, certifications, qualifications, social contributions, with the commitment to its truth", Handler: a.declare},
		{Method: "GET", Path: p + "/declarations", Roles: roles(admin, reviewer, dept, auditor), Purpose: true, Action: "declaration.queue",
			Summary: "Self-declared information to check (a department sees what names it as issuer)", Handler: a.declarationQueue},
		{Method: "GET", Path: p + "/declarations/{id}", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "declaration.read",
			Summary: "One self-declared piece of information with its history and files", Handler: a.declarationRead},
		{Method: "POST", Path: p + "/declarations/{id}/actions", Roles: roles(admin, dept, subject), Audited: true, Action: "declaration.act",
			Summary: "Confirm (it becomes an official record where the catalogue holds an item for it) or reject with a reason (the issuing department); withdraw (the subject)", Handler: a.declarationAct},
		{Method: "POST", Path: p + "/declarations/{id}/files", Roles: roles(subject), Audited: true, Action: "declaration.file.add",
			Summary: "Attach a file to a pending declaration (PDF, JPEG or PNG) as the raw request body", Handler: a.declarationAddFile},
		{Method: "GET", Path: p + "/declarations/{id}/files/{file}", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "declaration.file.read",
			Summary: "Metadata and content (base64) of one file of a declaration (its subject, its issuer)", Handler: a.declarationFile},
		{Method: "GET", Path: p + "/subjects/{id}/declarations", Roles: everyone, Action: "subject.declarations.read",
			Summary: "An organisation's self-declared information as the public sees it, labelled 自主申报 and kept apart from official records", Handler: a.publicDeclarations},
	}
}

func (a *API) commit() (*commit.Service, error) {
	if a.cfg.Commit == nil {
		return nil, credit.E("api", credit.Unavailable, "the commitment service is not configured on this node")
	}
	return a.cfg.Commit, nil
}

// refused audits a refusal the commitment service marked (a matter that
// takes no commitment, an ineligible subject, another subject or unit)
// and returns it; the wrapper audits the refusals of kind Permission.
func (a *API) refused(r *http.Request, c *Call, action string, err error) error {
	if _, ok := commit.Refused(err); ok && !credit.Is(credit.Permission, err) {
		a.audit.Denied(r.Context(), c.P, action, c.Target, c.Purpose, httpx.RemoteIP(r))
	}
	return err
}

// matterView is a matter's commitment data as the API gives it.
type matterView struct {
	Code     string `json:"matter"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en"`
	Allowed  bool   `json:"allowed"`
	Reason   string `json:"reason,omitempty"`
	ReasonEn string `json:"reason_en,omitempty"`
	*catalog.MatterCommitments
}

func (a *API) commitMatters(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	cm := &a.cfg.Catalog.Commitments
	var out []matterView
	for _, m := range cm.Matters {
		mv := matterView{Code: m.Matter, Allowed: m.Allowed, Reason: m.Reason, ReasonEn: m.ReasonEn, MatterCommitments: m}
		if mt, err := a.cfg.Catalog.Matter(m.Matter); err == nil {
			mv.Name, mv.NameEn = mt.Name, mt.NameEn
		}
		out = append(out, mv)
	}
	return http.StatusOK, map[string]any{"kinds": cm.Kinds, "tracking": cm.Tracking, "matters": out,
		"note": "a matter not listed here is not handled by commitment"}, nil
}

type eligibilityInput struct {
	SubjectID string `json:"subject_id"`
	Matter    string `json:"matter"`
}

func (a *API) commitEligibility(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	var in eligibilityInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	ans, err := svc.Eligibility(r.Context(), c.P.Actor(), in.SubjectID, in.Matter)
	if err != nil {
		return 0, nil, a.refused(r, c, "commitment.eligibility", err)
	}
	return http.StatusOK, ans, nil
}

func (a *API) commitAnswer(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	ans, e, err := svc.Answer(r.Context(), r.PathValue("id"))
	if err == nil && (c.P.Role == credit.RoleDept || c.P.Role == credit.RoleBusiness) && e.Dept != c.P.Account.Dept {
		err = credit.Say("api.commitAnswer", credit.NotFound, "没有编号为%s的资格核查答复", "no eligibility answer %s", r.PathValue("id"))
	}
	if err != nil {
		return 0, nil, err
	}
	c.Target = e.SubjectID
	return http.StatusOK, map[string]any{"answer": ans, "asked_by": e.Actor, "dept": e.Dept}, nil
}

// signInput is a commitment as the API takes it.
type signInput struct {
	commit.Signing
}

func (a *API) commitSign(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	var in signInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	cm, ans, err := svc.Sign(r.Context(), c.P.Actor(), in.Signing)
	if err != nil {
		err = a.refused(r, c, "commitment.sign", err)
		if ans != nil {
			// An ineligible subject: the answer, kept, with every reason.
			err = withDetails(err, map[string]any{"eligibility": ans})
		}
		return 0, nil, err
	}
	out := map[string]any{"commitment": cm}
	if ans != nil {
		out["eligibility"] = ans
	}
	return http.StatusCreated, out, nil
}

// commitFor reads the commitment of the path, within the caller's scope:
// a subject its own, a department or business system those its unit
// accepted.
func (a *API) commitFor(r *http.Request, c *Call) (*commit.Service, *credit.Commitment, error) {
	svc, err := a.commit()
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("id")
	cm, err := svc.Commitment(r.Context(), id)
	if err == nil {
		switch c.P.Role {
		case credit.RoleSubject:
			if c.P.Account.Subject != cm.SubjectID {
				err = credit.Say("api.commitment", credit.NotFound, "没有承诺%s", "commitment %s not found", id)
			}
		case credit.RoleDept, credit.RoleBusiness:
			if c.P.Account.Dept != cm.Unit {
				err = credit.Say("api.commitment", credit.NotFound, "没有承诺%s", "commitment %s not found", id)
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	c.Target = cm.SubjectID
	return svc, cm, nil
}

// commitmentView is a commitment with its history and files.
type commitmentView struct {
	Commitment credit.Commitment   `json:"commitment"`
	Late       bool                `json:"late"`
	Events     []credit.TrackEvent `json:"events"`
	Files      []credit.OwnedFile  `json:"files"`
}

func (a *API) commitRead(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, cm, err := a.commitFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	evs, err := svc.Events(r.Context(), cm.ID)
	if err != nil {
		return 0, nil, err
	}
	files, err := svc.Files(r.Context(), cm.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, commitmentView{Commitment: *cm, Late: cm.Open && !cm.Due.IsZero() && lateAt(cm.Due, a.cfg.Now()),
		Events: nonNil(evs), Files: nonNil(files)}, nil
}

func lateAt(due, now time.Time) bool { return !chinatime.Date(now).Before(chinatime.EndOfDay(due)) }

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (a *API) commitQueue(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	unit := q.Get("unit")
	if c.P.Role == credit.RoleDept || c.P.Role == credit.RoleBusiness {
		unit = c.P.Account.Dept
	}
	var states []string
	if s := q.Get("state"); s != "" {
		states = strings.Split(s, ",")
	}
	items, err := svc.Queue(r.Context(), unit, states...)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "commitments:" + unit
	return http.StatusOK, map[string]any{"commitments": nonNil(items)}, nil
}

func (a *API) commitStats(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.commitStats"
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("since"); s != "" {
		if since, err = time.ParseInLocation(time.DateOnly, s, chinatime.Location); err != nil {
			return 0, nil, credit.Say(op, credit.Invalid, "since 须为 YYYY-MM-DD", "since must be YYYY-MM-DD")
		}
	}
	unit := q.Get("unit")
	if c.P.Role == credit.RoleDept {
		unit = c.P.Account.Dept // a department sees its own figures
	}
	stats, err := svc.Stats(r.Context(), since, unit)
	if err != nil {
		return 0, nil, err
	}
	switch q.Get("format") {
	case "", "json":
	case "xlsx":
		b, err := commit.XLSX(stats, since, a.nameZh)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, fileBody{contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			name: "信用承诺履约统计.xlsx", data: b}, nil
	default:
		return 0, nil, credit.Say(op, credit.Invalid, "format 须为 json 或 xlsx", "format must be json or xlsx")
	}
	return http.StatusOK, map[string]any{"since": q.Get("since"), "stats": nonNil(stats), "by_matter": nonNil(commit.ByMatter(stats)),
		"by_unit": nonNil(commit.ByUnit(stats)), "total": commit.Total(stats)}, nil
}

// nameZh names a matter or department code in Chinese (the workbook's
// language).
func (a *API) nameZh(code string) string {
	if m, err := a.cfg.Catalog.Matter(code); err == nil {
		return m.Name
	}
	if d, err := a.cfg.Catalog.Department(code); err == nil {
		return d.Name
	}
	return code
}

func (a *API) commitSweep(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	n, err := svc.Sweep(r.Context())
	if err != nil {
		return 0, nil, err
	}
	c.Target = "commitments"
	return http.StatusOK, map[string]any{"moved": n}, nil
}

// commitActionInput is a step on a commitment.
type commitActionInput struct {
	Action string `json:"action"` // fulfil, break
	Note   string `json:"note,omitempty"`
	commit.Breach
}

// CommitActions are the steps POST /commitments/{id}/actions takes.
var CommitActions = []string{"fulfil", "break"}

func (a *API) commitAct(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.commitAct"
	svc, cm, err := a.commitFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	var in commitActionInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	switch in.Action {
	case "fulfil":
		out, err := svc.Fulfil(r.Context(), c.P.Actor(), cm.ID, in.Note)
		if err != nil {
			return 0, nil, a.refused(r, c, "commitment.act", err)
		}
		return http.StatusOK, map[string]any{"commitment": out}, nil
	case "break":
		out, err := svc.Break(r.Context(), c.P.Actor(), cm.ID, in.Breach)
		if err != nil {
			return 0, nil, a.refused(r, c, "commitment.act", err)
		}
		return http.StatusOK, out, nil
	}
	return 0, nil, credit.Say(op, credit.Invalid, "action 须为 %[1]s 之一", "action must be one of %[1]s", strings.Join(CommitActions, ", "))
}

func (a *API) commitAddFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, cm, err := a.commitFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	return a.addOwnedFile(w, r, c, svc, cm.ID, "commitment.file.add")
}

func (a *API) addOwnedFile(w http.ResponseWriter, r *http.Request, c *Call, svc *commit.Service, of, action string) (int, any, error) {
	name, ctype, body, err := readUpload(w, r, a.wfMaxFile(), "file")
	if err != nil {
		return 0, nil, err
	}
	f, err := svc.AddFile(r.Context(), c.P.Actor(), of, name, ctype, body)
	if err != nil {
		return 0, nil, a.refused(r, c, action, err)
	}
	return http.StatusCreated, map[string]any{"file": f}, nil
}

// wfMaxFile is the bound on one attached file: the workflows' rule.
func (a *API) wfMaxFile() int64 {
	if a.cfg.Workflow != nil {
		return a.cfg.Workflow.Rules().MaxFileBytes
	}
	return 10 << 20
}

func (a *API) commitFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, cm, err := a.commitFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	f, err := svc.File(r.Context(), cm.ID, r.PathValue("file"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"file": f, "content": f.Body}, nil
}

func (a *API) subjectCommitments(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = id
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != id {
		return 0, nil, credit.Say("api.subjectCommitments", credit.Permission, "信用主体账号只能查看本主体的信息", "a subject account sees only its own commitments")
	}
	cs, err := svc.SubjectCommitments(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if c.P.Role == credit.RoleDept {
		// A department sees the commitments its unit accepted.
		own := cs[:0]
		for _, x := range cs {
			if x.Unit == c.P.Account.Dept {
				own = append(own, x)
			}
		}
		cs = own
	}
	return http.StatusOK, map[string]any{"subject_id": id, "commitments": nonNil(cs)}, nil
}

// --- self-declared information ---

type declareInput struct {
	SubjectID   string `json:"subject_id"`
	Kind        string `json:"kind"`
	Issuer      string `json:"issuer"`
	Title       string `json:"title"`
	Number      string `json:"number,omitempty"`
	IssuedOn    string `json:"issued_on,omitempty"`
	ValidUntil  string `json:"valid_until,omitempty"`
	Description string `json:"description,omitempty"`
	Accepted    bool   `json:"accepted"`
}

// date parses an optional YYYY-MM-DD.
func date(op, field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := catalog.ParseDate(s)
	if err != nil {
		return time.Time{}, credit.Say(op, credit.Invalid, "%[1]s须为日期 YYYY-MM-DD", "%[1]s must be a date YYYY-MM-DD", field)
	}
	return t, nil
}

func (a *API) declare(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.declare"
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	var in declareInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	issued, err := date(op, "issued_on", in.IssuedOn)
	if err != nil {
		return 0, nil, err
	}
	until, err := date(op, "valid_until", in.ValidUntil)
	if err != nil {
		return 0, nil, err
	}
	d, err := svc.Declare(r.Context(), c.P.Actor(), commit.Declaring{SubjectID: in.SubjectID, Kind: in.Kind, Issuer: in.Issuer, Title: in.Title,
		Number: in.Number, IssuedOn: issued, ValidUntil: until, Description: in.Description, Accepted: in.Accepted})
	if err != nil {
		return 0, nil, a.refused(r, c, "declaration.file", err)
	}
	return http.StatusCreated, map[string]any{"declaration": declView(d)}, nil
}

// declaration is a declaration as the API shows it: labelled.
type declaration struct {
	*credit.Declaration
	Label        string `json:"label"`
	LabelEn      string `json:"label_en"`
	SelfDeclared bool   `json:"self_declared"`
}

func declView(d *credit.Declaration) declaration {
	return declaration{Declaration: d, Label: "自主申报", LabelEn: "Self-declared", SelfDeclared: d.State != commit.DeclConfirmed}
}

func declViews(ds []credit.Declaration) []declaration {
	out := make([]declaration, len(ds))
	for i := range ds {
		out[i] = declView(&ds[i])
	}
	return out
}

func (a *API) declarationQueue(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	issuer := q.Get("issuer")
	if c.P.Role == credit.RoleDept {
		issuer = c.P.Account.Dept
	}
	states := []string{commit.DeclPending}
	if s := q.Get("state"); s != "" {
		states = strings.Split(s, ",")
	}
	ds, err := svc.Declarations(r.Context(), "", issuer, states...)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "declarations:" + issuer
	return http.StatusOK, map[string]any{"declarations": declViews(ds)}, nil
}

func (a *API) declFor(r *http.Request, c *Call) (*commit.Service, *credit.Declaration, error) {
	svc, err := a.commit()
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("id")
	d, err := svc.Declaration(r.Context(), id)
	if err == nil {
		switch {
		case c.P.Role == credit.RoleSubject && c.P.Account.Subject != d.SubjectID,
			c.P.Role == credit.RoleDept && c.P.Account.Dept != d.Issuer:
			err = credit.Say("api.declaration", credit.NotFound, "没有自主申报信息%s", "declaration %s not found", id)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	c.Target = d.SubjectID
	return svc, d, nil
}

func (a *API) declarationRead(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, d, err := a.declFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	evs, err := svc.Events(r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	files, err := svc.Files(r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"declaration": declView(d), "events": nonNil(evs), "files": nonNil(files)}, nil
}

type declActionInput struct {
	Action        string `json:"action"` // confirm, reject, withdraw
	AuthorityCode string `json:"authority_code,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Note          string `json:"note,omitempty"`
}

// DeclarationActions are the steps POST /declarations/{id}/actions takes.
var DeclarationActions = []string{"confirm", "reject", "withdraw"}

func (a *API) declarationAct(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, d, err := a.declFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	var in declActionInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	ctx, actor := r.Context(), c.P.Actor()
	switch in.Action {
	case "confirm":
		d, err = svc.Confirm(ctx, actor, d.ID, in.AuthorityCode, in.Note)
	case "reject":
		d, err = svc.Reject(ctx, actor, d.ID, in.Reason)
	case "withdraw":
		d, err = svc.Withdraw(ctx, actor, d.ID)
	default:
		return 0, nil, credit.Say("api.declarationAct", credit.Invalid, "action 须为 %[1]s 之一", "action must be one of %[1]s", strings.Join(DeclarationActions, ", "))
	}
	if err != nil {
		return 0, nil, a.refused(r, c, "declaration.act", err)
	}
	return http.StatusOK, map[string]any{"declaration": declView(d)}, nil
}

func (a *API) declarationAddFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, d, err := a.declFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	return a.addOwnedFile(w, r, c, svc, d.ID, "declaration.file.add")
}

func (a *API) declarationFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, d, err := a.declFor(r, c)
	if err != nil {
		return 0, nil, err
	}
	f, err := svc.File(r.Context(), d.ID, r.PathValue("file"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"file": f, "content": f.Body}, nil
}

// publicDeclarations is what the public sees of an organisation's
// self-declared information: pending and verified declarations, each
// labelled, never a person's.
func (a *API) publicDeclarations(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.commit()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	s, err := a.cfg.Store.Subject(r.Context(), id)
	if err == nil && !publish.PublicSubject(s.Kind) {
		err = credit.Say("api.publicDeclarations", credit.NotFound, "没有信用主体%s", "subject %s not found", id)
	}
	if err != nil {
		return 0, nil, err
	}
	ds, err := svc.PublicDeclarations(r.Context(), s)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"subject_id": id, "label": "自主申报", "label_en": "Self-declared",
		"note":         "信息由信用主体自主申报并承诺真实，不是部门认定的公共信用信息；经颁发单位确认的转为部门信息，在相应栏目中展示",
		"note_en":      "declared by the subject itself with a commitment to its truth; not public credit information decided by a department. What the issuer confirms becomes an official record, shown in its section",
		"declarations": declViews(ds)}, nil
}
