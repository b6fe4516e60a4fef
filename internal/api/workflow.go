package api

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// workflowRoutes are the objection, repair, bankruptcy and calendar routes.
func (a *API) workflowRoutes() []Route {
	const (
		admin    = credit.RoleAdmin
		reviewer = credit.RoleReviewer
		dept     = credit.RoleDept
		auditor  = credit.RoleAuditor
		subject  = credit.RoleSubject
	)
	p := Prefix
	return []Route{
		{Method: "GET", Path: p + "/calendar/years", Roles: everyone, Action: "calendar.read",
			Summary: "The working-day calendar: years held, holidays and adjusted working days", Handler: a.calendarYears},
		{Method: "PUT", Path: p + "/calendar/years/{year}", Roles: roles(admin), Audited: true, Action: "calendar.year.put",
			Summary: "Add or replace a year of the working-day calendar (validated)", Handler: a.putCalendarYear},
		{Method: "GET", Path: p + "/calendar/deadline", Roles: everyone, Action: "calendar.deadline",
			Summary: "The due date n working days after a date", Handler: a.calendarDeadline},

		{Method: "POST", Path: p + "/objections", Roles: roles(admin, reviewer, subject), Audited: true, Action: "objection.file",
			Summary: "File an objection to a record or a list entry; returns the tracking code once", Handler: a.fileObjection},
		{Method: "GET", Path: p + "/repairs/eligibility", Roles: roles(admin, reviewer, dept, subject), Purpose: true, Action: "repair.eligibility",
			Summary: "Whether a record can be repaired now, and if not why and from when", Handler: a.repairEligibility},
		{Method: "POST", Path: p + "/repairs", Roles: roles(admin, reviewer, subject), Audited: true, Action: "repair.file",
			Summary: "Apply for credit repair; returns the tracking code once", Handler: a.fileRepair},
		{Method: "POST", Path: p + "/bankruptcies", Roles: roles(admin, reviewer), Audited: true, Action: "bankruptcy.file",
			Summary: "Register a court-approved reorganisation or settlement: the subject's entries are to be masked", Handler: a.fileBankruptcy},

		{Method: "GET", Path: p + "/cases", Roles: roles(admin, reviewer, dept), Purpose: true, Action: "case.queue",
			Summary: "Open cases, earliest deadline first (a department sees its own)", Handler: a.caseQueue},
		{Method: "GET", Path: p + "/cases/{id}", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "case.read",
			Summary: "One case with its history and files", Handler: a.caseRead},
		{Method: "POST", Path: p + "/cases/{id}/actions", Roles: roles(admin, reviewer, dept, subject), Audited: true, Action: "case.act",
			Summary: "Take a step on a case (route, accept, refuse, extend, uphold, revoke, dismiss, request_materials, supplement, approve, false_commitment, mask, end, end_failed, end_completed)", Handler: a.caseAct},
		{Method: "POST", Path: p + "/cases/{id}/files", Roles: roles(admin, reviewer, dept, subject), Audited: true, Action: "case.file.add",
			Summary: "Attach an evidence file (PDF, JPEG or PNG) as the raw request body", Handler: a.caseAddFile},
		{Method: "GET", Path: p + "/cases/{id}/files/{file}", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "case.file.read",
			Summary: "Metadata and content (base64) of one evidence file", Handler: a.caseFile},
		{Method: "GET", Path: p + "/tracking", Roles: everyone, Action: "case.track",
			Summary: "Follow a case with its tracking code (X-Track-Code header), without an account", Handler: a.track},
		{Method: "GET", Path: p + "/subjects/{id}/cases", Roles: roles(admin, reviewer, auditor, subject), Purpose: true, Action: "subject.cases.read",
			Summary: "A subject's whole history of objections, repairs and masking", Handler: a.subjectCases},
		{Method: "POST", Path: p + "/cases/sweep", Roles: roles(admin), Audited: true, Action: "case.sweep",
			Summary: "Escalate overdue cases now (the server also does it hourly)", Handler: a.sweep},
	}
}

func (a *API) wf() (*workflow.Service, error) {
	if a.cfg.Workflow == nil {
		return nil, credit.E("api", credit.Unavailable, "the workflow service is not configured on this node")
	}
	return a.cfg.Workflow, nil
}

// --- calendar ---

type yearView struct {
	workday.Year
}

func (a *API) calendarYears(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	ys := wf.Calendar().Years()
	out := make([]yearView, len(ys))
	for i := range ys {
		out[i] = yearView{ys[i]}
	}
	return http.StatusOK, map[string]any{"time_zone": "UTC+8", "years": out}, nil
}

func (a *API) putCalendarYear(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.putCalendarYear"
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return 0, nil, credit.Say(op, credit.Invalid, "路径中的年份须为数字，如 2028", "the year in the path must be a number like 2028")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
	if err != nil {
		return 0, nil, credit.Say(op, credit.Invalid, "日历文件超过 256 KiB", "the calendar file is larger than 256 KiB")
	}
	y, err := workday.Parse(body)
	if err != nil {
		return 0, nil, credit.Say(op, credit.Invalid, "%v", "%v", err)
	}
	if y.Year != year {
		return 0, nil, credit.Say(op, credit.Invalid, "文件中的年份是%d，路径中的年份是%d", "the file holds year %d but the path says %d", y.Year, year)
	}
	if _, err := wf.Calendar().SaveYear(a.cfg.CalendarDir, body); err != nil {
		return 0, nil, credit.E(op, credit.Unavailable, "could not save the year: %v", err)
	}
	c.Target = "calendar:" + strconv.Itoa(year)
	return http.StatusOK, map[string]any{"year": y, "saved_in": a.cfg.CalendarDir}, nil
}

func (a *API) calendarDeadline(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.calendarDeadline"
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	from, err := time.ParseInLocation(time.DateOnly, q.Get("from"), chinatime.Location)
	if err != nil {
		return 0, nil, credit.Say(op, credit.Invalid, "请提供 from=YYYY-MM-DD", "give from=YYYY-MM-DD")
	}
	n, err := strconv.Atoi(q.Get("days"))
	if err != nil || n < 1 || n > 250 {
		return 0, nil, credit.Say(op, credit.Invalid, "请提供 days=1..250", "give days=1..250")
	}
	due, err := wf.Calendar().Due(from, n)
	if err != nil {
		return 0, nil, credit.Wrap(op, credit.Other, err) // a year without data: 409 naming it
	}
	return http.StatusOK, map[string]any{"from": q.Get("from"), "days": n, "due": chinatime.Format(due.Date),
		"ends_at": due.End(), "provisional": due.Provisional}, nil
}

// --- filing ---

type objectionInput struct {
	SubjectID string             `json:"subject_id"`
	RecordID  string             `json:"record_id,omitempty"`
	EntryID   string             `json:"entry_id,omitempty"`
	Unit      string             `json:"unit,omitempty"`
	Reasons   string             `json:"reasons"`
	Applicant workflow.Applicant `json:"applicant"`
}

// filed is the answer to a filing: the only time the tracking code is shown.
type filed struct {
	Case         credit.Case `json:"case"`
	TrackingCode string      `json:"tracking_code"`
	Note         string      `json:"note"`
}

const trackNote = "Keep the tracking code: it is shown once and is the only way to follow the case without an account."

func (a *API) fileObjection(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	var in objectionInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	cs, code, err := wf.FileObjection(r.Context(), c.P.Actor(), workflow.Objection{SubjectID: in.SubjectID, RecordID: in.RecordID,
		EntryID: in.EntryID, Unit: in.Unit, Reasons: in.Reasons, Applicant: in.Applicant})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, filed{Case: *cs, TrackingCode: code, Note: trackNote}, nil
}

func (a *API) repairEligibility(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	sid := q.Get("subject")
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != sid {
		return 0, nil, credit.Say("api.repairEligibility", credit.Permission, "信用主体账号只能查看本主体的信息", "a subject account sees only its own records")
	}
	c.Target = sid
	e, err := wf.Eligibility(r.Context(), sid, q.Get("record"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eligibilityView(e, wf.Commitment()), nil
}

func eligibilityView(e *workflow.Eligibility, text credit.Text) map[string]any {
	v := map[string]any{"eligible": e.Eligible, "reasons": e.Reasons, "needs": e.Needs, "record": e.Record,
		"item": e.Item, "severity": e.Severity, "commitment": text.Zh, "commitment_en": text.En, "fee": "none: repair is free of charge"}
	if e.Reasons == nil {
		v["reasons"] = []workflow.Reason{}
	}
	if !e.From.IsZero() {
		v["apply_from"] = e.From.In(chinatime.Location).Format(time.DateOnly)
	}
	return v
}

type repairInput struct {
	SubjectID          string             `json:"subject_id"`
	RecordID           string             `json:"record_id"`
	Statement          string             `json:"statement"`
	ObligationsMet     bool               `json:"obligations_met"`
	CommitmentAccepted bool               `json:"commitment_accepted"`
	Applicant          workflow.Applicant `json:"applicant"`
}

func (a *API) fileRepair(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	var in repairInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	cs, code, err := wf.FileRepair(r.Context(), c.P.Actor(), workflow.Repair{SubjectID: in.SubjectID, RecordID: in.RecordID,
		Statement: in.Statement, ObligationsMet: in.ObligationsMet, CommitmentAccepted: in.CommitmentAccepted, Applicant: in.Applicant})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, filed{Case: *cs, TrackingCode: code, Note: trackNote}, nil
}

type bankruptcyInput struct {
	SubjectID string `json:"subject_id"`
	CourtDoc  string `json:"court_doc"`
	Note      string `json:"note,omitempty"`
}

func (a *API) fileBankruptcy(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	var in bankruptcyInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.SubjectID
	cs, err := wf.FileBankruptcy(r.Context(), c.P.Actor(), in.SubjectID, in.CourtDoc, in.Note)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"case": cs}, nil
}

// --- cases ---

func (a *API) caseQueue(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	unit := q.Get("unit")
	if c.P.Role == credit.RoleDept {
		unit = c.P.Account.Dept // a department sees its own queue
	}
	kind := credit.CaseKind(q.Get("kind"))
	switch kind {
	case "", credit.CaseObjection, credit.CaseRepair, credit.CaseBankruptcy:
	default:
		return 0, nil, credit.Say("api.caseQueue", credit.Invalid, "kind 须为 objection（异议）、repair（信用修复）或 bankruptcy（破产重整屏蔽）", "kind is objection, repair or bankruptcy")
	}
	items, err := wf.Queue(r.Context(), kind, unit)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "cases:" + unit
	return http.StatusOK, map[string]any{"unit": unit, "cases": items}, nil
}

// caseFor loads the case named by the request path's {id} and checks
// that the caller may see it.
func (a *API) caseFor(r *http.Request, p auth.Principal) (*workflow.Service, *credit.Case, error) {
	wf, err := a.wf()
	if err != nil {
		return nil, nil, err
	}
	id := r.PathValue("id")
	cs, err := wf.Case(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	switch p.Role {
	case credit.RoleSubject:
		if p.Account.Subject != cs.SubjectID {
			return nil, nil, credit.Say("api.case", credit.NotFound, "事项“%s”不存在", "case %q not found", id)
		}
	case credit.RoleDept:
		if p.Account.Dept != cs.Unit {
			return nil, nil, credit.Say("api.case", credit.NotFound, "事项“%s”不存在", "case %q not found", id)
		}
	}
	return wf, cs, nil
}

type caseView struct {
	Case credit.Case `json:"case"`
	// DueProvisional says the case's due date was counted on provisional
	// calendar data.
	DueProvisional bool               `json:"due_provisional,omitempty"`
	Events         []credit.CaseEvent `json:"events"`
	Files          []credit.CaseFile  `json:"files"`
}

func (a *API) caseDetail(ctx context.Context, wf *workflow.Service, cs *credit.Case) (*caseView, error) {
	evs, err := wf.Events(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	fs, err := wf.Files(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	if fs == nil {
		fs = []credit.CaseFile{}
	}
	return &caseView{Case: *cs, Events: evs, Files: fs, DueProvisional: dueProvisional(wf, cs)}, nil
}

func (a *API) caseRead(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, cs, err := a.caseFor(r, c.P)
	if err != nil {
		return 0, nil, err
	}
	c.Target = cs.SubjectID
	v, err := a.caseDetail(r.Context(), wf, cs)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

// actionInput is the JSON body of POST /cases/{id}/actions: a
// workflow.Action under the names the OpenAPI document gives.
type actionInput struct {
	Action  string        `json:"action"`
	Reason  string        `json:"reason,omitempty"`
	Revoke  bool          `json:"revoke,omitempty"`
	Fields  credit.Fields `json:"fields,omitempty"`
	Missing []string      `json:"missing,omitempty"`
	DocNo   string        `json:"doc_no,omitempty"`
	Failed  bool          `json:"failed,omitempty"`
	Unit    string        `json:"unit,omitempty"`
}

func (in actionInput) action() workflow.Action {
	return workflow.Action{Name: in.Action, Reason: in.Reason, Unit: in.Unit, Revoke: in.Revoke, Fields: in.Fields,
		Missing: in.Missing, DocNo: in.DocNo, Failed: in.Failed}
}

func (a *API) caseAct(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	var in actionInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = "case:" + id
	if err := wf.Act(r.Context(), c.P.Actor(), id, in.action()); err != nil {
		return 0, nil, err
	}
	cs, err := wf.Case(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	v, err := a.caseDetail(r.Context(), wf, cs)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (a *API) caseAddFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, cs, err := a.caseFor(r, c.P)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "case:" + cs.ID
	name, ctype, body, err := readUpload(w, r, wf.Rules().MaxFileBytes, "evidence")
	if err != nil {
		return 0, nil, err
	}
	f, err := wf.AddFile(r.Context(), c.P.Actor(), cs.ID, name, ctype, body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"file": f}, nil
}

func (a *API) caseFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, cs, err := a.caseFor(r, c.P)
	if err != nil {
		return 0, nil, err
	}
	f, err := wf.File(r.Context(), cs.ID, r.PathValue("file"))
	if err != nil {
		return 0, nil, err
	}
	c.Target = "case:" + cs.ID
	return http.StatusOK, map[string]any{"file": f, "content": f.Body}, nil
}

// trackView is what the tracking code shows: progress, deadlines, reasons
// and requests; not who decided (names of officers) nor the files.
type trackView struct {
	Kind  credit.CaseKind `json:"kind"`
	State string          `json:"state"`
	Due   string          `json:"due,omitempty"`
	// DueProvisional: the due date was counted on provisional calendar data.
	DueProvisional bool        `json:"due_provisional,omitempty"`
	Filed          time.Time   `json:"filed_at"`
	Unit           string      `json:"unit"`
	Steps          []trackStep `json:"steps"`
	Overdue        bool        `json:"overdue"`
}

type trackStep struct {
	Action string            `json:"action"`
	State  string            `json:"state"`
	At     time.Time         `json:"at"`
	Due    string            `json:"due,omitempty"`
	Reason string            `json:"reason,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// TrackView builds the applicant's view of a case.
func TrackView(ctx context.Context, wf *workflow.Service, cs *credit.Case, now time.Time) (*trackView, error) {
	evs, err := wf.Events(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	v := &trackView{Kind: cs.Kind, State: cs.State, Filed: cs.Created, Unit: cs.Unit, Overdue: cs.Open && workday.Overdue(cs.Due, now)}
	if !cs.Due.IsZero() {
		v.Due = cs.Due.In(chinatime.Location).Format(time.DateOnly)
		v.DueProvisional = dueProvisional(wf, cs)
	}
	for _, ev := range evs {
		st := trackStep{Action: ev.Action, State: ev.State, At: ev.At, Reason: ev.Reason}
		if !ev.Due.IsZero() {
			st.Due = ev.Due.In(chinatime.Location).Format(time.DateOnly)
		}
		for _, k := range []string{"missing", "days", "outcome", "lockout_until", "platform_due"} {
			if val, ok := ev.Data[k]; ok {
				if st.Data == nil {
					st.Data = map[string]string{}
				}
				st.Data[k] = val
			}
		}
		v.Steps = append(v.Steps, st)
	}
	return v, nil
}

func (a *API) track(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	code := strings.TrimSpace(r.Header.Get("X-Track-Code"))
	if code == "" {
		return 0, nil, credit.Say("api.track", credit.Invalid, "请在 X-Track-Code 请求头中提供查询码", "send the tracking code in the X-Track-Code header")
	}
	cs, err := wf.ByTrackCode(r.Context(), code)
	if err != nil {
		return 0, nil, err
	}
	v, err := TrackView(r.Context(), wf, cs, a.now())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (a *API) subjectCases(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != id {
		return 0, nil, credit.Say("api.subjectCases", credit.Permission, "信用主体账号只能查看本主体的办理记录", "a subject account sees only its own history")
	}
	c.Target = id
	h, err := wf.History(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if h == nil {
		h = []workflow.CaseHistory{}
	}
	return http.StatusOK, map[string]any{"subject_id": id, "cases": h}, nil
}

func (a *API) sweep(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	wf, err := a.wf()
	if err != nil {
		return 0, nil, err
	}
	n, err := wf.Sweep(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"escalated": n}, nil
}

// dueProvisional says whether a case's due date was counted on provisional
// calendar data (from its last step to the due date).
func dueProvisional(wf *workflow.Service, cs *credit.Case) bool {
	return !cs.Due.IsZero() && wf.Calendar().Provisional(cs.Updated, cs.Due)
}

// readUpload reads an attached file: the raw request body (its name in
// ?name=, else dflt), or a JSON body {"name", "content_type", "content"
// (base64)}; at most limit bytes.
func readUpload(w http.ResponseWriter, r *http.Request, limit int64, dflt string) (name, ctype string, body []byte, err error) {
	const op = "api.readUpload"
	name, ctype = r.URL.Query().Get("name"), r.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "application/json" {
		var in struct {
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Content     []byte `json:"content"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit*4/3+4096))
		if err := dec.Decode(&in); err != nil {
			return "", "", nil, credit.Say(op, credit.Invalid, "JSON正文格式错误或文件超过%d MiB：%v", "malformed JSON body or file larger than %d MiB: %v", limit>>20, err)
		}
		body, ctype = in.Content, in.ContentType
		if in.Name != "" {
			name = in.Name
		}
	} else {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit+1))
		if err != nil {
			return "", "", nil, credit.Say(op, credit.Invalid, "文件超过%d MiB", "the file is larger than %d MiB", limit>>20)
		}
		body = b
	}
	if name == "" {
		name = dflt
	}
	return name, ctype, body, nil
}
