package api

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// sanctionRoutes are the 联合奖惩 routes: list decisions, the hit check,
// feedback and statistics.
func (a *API) sanctionRoutes() []Route {
	const (
		admin    = credit.RoleAdmin
		reviewer = credit.RoleReviewer
		dept     = credit.RoleDept
		business = credit.RoleBusiness
		auditor  = credit.RoleAuditor
	)
	p := Prefix
	deciders := roles(admin, reviewer, dept)
	return []Route{
		{Method: "GET", Path: p + "/lists/{list}/entries", Roles: roles(admin, reviewer, dept, auditor), Purpose: true, Action: "list.entries.read",
			Summary: "Entries of a list, newest change first, with their state and documents", Handler: a.listEntries},
		{Method: "GET", Path: p + "/lists/{list}/entries/{id}", Roles: roles(admin, reviewer, dept, auditor), Purpose: true, Action: "list.entry.read",
			Summary: "One list entry with its events", Handler: a.listEntry},
		{Method: "POST", Path: p + "/lists/{list}/entries", Roles: deciders, Audited: true, Action: "list.entry.propose",
			Summary: "Propose a subject for a list from basis records; refused with the reason when outside the list's criteria", Handler: a.proposeEntry},
		{Method: "POST", Path: p + "/lists/{list}/entries/{id}/notice", Roles: deciders, Audited: true, Action: "list.entry.notice",
			Summary: "Record the notice to the subject: grounds, basis, rights and objection deadline", Handler: a.noticeEntry},
		{Method: "POST", Path: p + "/lists/{list}/entries/{id}/decision", Roles: deciders, Audited: true, Action: "list.entry.decide",
			Summary: "Issue the decision document and list the subject for the list's period", Handler: a.decideEntry},
		{Method: "POST", Path: p + "/lists/{list}/entries/{id}/removal", Roles: deciders, Audited: true, Action: "list.entry.remove",
			Summary: "Remove an entry: expiry, repair, revocation, correction, or withdrawal of a proposal", Handler: a.removeEntry},

		{Method: "POST", Path: p + "/checks", Roles: roles(business), Action: "check",
			Summary: "Hit check (逢办必查): list memberships and the measures for a matter, for up to 1000 subjects; every check is logged with the data version it saw", Handler: a.check},
		{Method: "GET", Path: p + "/checks/stats", Roles: roles(admin, reviewer, auditor, business), Action: "check.stats",
			Summary: "Trigger counts, feedback rate and overdue feedback by department, matter and measure", Handler: a.checkStats},
		{Method: "GET", Path: p + "/checks/{id}", Roles: roles(admin, reviewer, auditor, business), Action: "check.read",
			Summary: "A logged check with the measures it returned and their feedback", Handler: a.checkRead},
		{Method: "POST", Path: p + "/checks/{id}/feedback", Roles: roles(business), Audited: true, Action: "check.feedback",
			Summary: "Report what was done about measures a check returned", Handler: a.checkFeedback},
		{Method: "POST", Path: p + "/name-decisions", Roles: roles(admin, reviewer), Audited: true, Action: "name.decision",
			Summary: "Rule out a name candidate (not this subject) for later checks of the same name", Handler: a.nameDecision},
		{Method: "PUT", Path: p + "/accounts/{name}/matters", Roles: roles(admin), Audited: true, Action: "account.matters.set",
			Summary: "Set the matters a business-system account may check", Handler: a.setMatters},
		{Method: "GET", Path: p + "/accounts/{name}/matters", Roles: roles(admin, auditor), Action: "account.matters.read",
			Summary: "The matters an account may check", Handler: a.getMatters},
	}
}

func (a *API) sanction() (*sanction.Service, error) {
	if a.cfg.Sanction == nil {
		return nil, credit.E("api", credit.Unavailable, "the hit check is not running on this node")
	}
	return a.cfg.Sanction, nil
}

// entryView is an entry as the API shows it: responsible persons' ID
// hashes are left out (the masked number is shown).
func entryView(e *sanction.Entry) *sanction.Entry {
	v := *e
	v.Detail.Persons = append([]credit.ResponsiblePerson(nil), e.Detail.Persons...)
	for i := range v.Detail.Persons {
		v.Detail.Persons[i].IDHash, v.Detail.Persons[i].IDCipher = "", nil
	}
	v.Events = nil
	for _, ev := range e.Events {
		ev.Detail.Persons = nil
		v.Events = append(v.Events, ev)
	}
	return &v
}

func (a *API) listEntries(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	const op = "api.listEntries"
	offset, err := queryInt(r, op, "offset", 0, 0, math.MaxInt32)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryInt(r, op, "limit", 100, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	list := r.PathValue("list")
	es, total, err := svc.Entries(r.Context(), list, offset, limit)
	if err != nil {
		return 0, nil, err
	}
	out := make([]*sanction.Entry, 0, len(es))
	for _, e := range es {
		out = append(out, entryView(e))
	}
	c.Target = "list:" + list
	return http.StatusOK, map[string]any{"entries": out, "offset": offset, "total": total, "data_version": svc.Version()}, nil
}

func (a *API) entryIn(r *http.Request, svc *sanction.Service) (*sanction.Entry, error) {
	e, err := svc.Entry(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if e.List != r.PathValue("list") {
		return nil, credit.Say("api", credit.NotFound, "条目%s不在名单%s中", "entry %s is not on list %s", e.ID, r.PathValue("list"))
	}
	return e, nil
}

func (a *API) listEntry(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	e, err := a.entryIn(r, svc)
	if err != nil {
		return 0, nil, err
	}
	c.Target = e.SubjectID
	return http.StatusOK, entryView(e), nil
}

func (a *API) proposeEntry(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	var in sanction.Proposal
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	in.List = r.PathValue("list")
	c.Target = in.SubjectID
	e, err := svc.Propose(r.Context(), c.P.Actor(), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, entryView(e), nil
}

func (a *API) entryStep(w http.ResponseWriter, r *http.Request, c *Call, in any, step func(*sanction.Service, *sanction.Entry) (*sanction.Entry, error)) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	if err := decode(w, r, in); err != nil {
		return 0, nil, err
	}
	e, err := a.entryIn(r, svc)
	if err != nil {
		return 0, nil, err
	}
	c.Target = e.SubjectID
	e, err = step(svc, e)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, entryView(e), nil
}

func (a *API) noticeEntry(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	var in sanction.NoticeInput
	return a.entryStep(w, r, c, &in, func(svc *sanction.Service, e *sanction.Entry) (*sanction.Entry, error) {
		return svc.Notice(r.Context(), c.P.Actor(), e.ID, in)
	})
}

func (a *API) decideEntry(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	var in sanction.DecisionInput
	return a.entryStep(w, r, c, &in, func(svc *sanction.Service, e *sanction.Entry) (*sanction.Entry, error) {
		return svc.Decide(r.Context(), c.P.Actor(), e.ID, in)
	})
}

func (a *API) removeEntry(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	var in sanction.RemovalInput
	return a.entryStep(w, r, c, &in, func(svc *sanction.Service, e *sanction.Entry) (*sanction.Entry, error) {
		return svc.Remove(r.Context(), c.P.Actor(), e.ID, in)
	})
}

// caller is the business system making a check: its department and the
// matters it may check come from its account, never from the request.
func (a *API) caller(r *http.Request, c *Call, svc *sanction.Service) (sanction.Caller, error) {
	acc := c.P.Account
	ms, err := svc.Matters(r.Context(), acc.ID)
	if err != nil {
		return sanction.Caller{}, err
	}
	return sanction.Caller{Name: acc.Name, Dept: acc.Dept, Matters: ms}, nil
}

// compact marks a response body to be sent without indentation: the hit
// check answers up to 1000 subjects per call, and indenting them costs
// more than checking them.
type compact struct{ v any }

func (a *API) check(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	var in sanction.Request
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	cl, err := a.caller(r, c, svc)
	if err != nil {
		return 0, nil, err
	}
	resp, err := svc.Check(r.Context(), cl, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, compact{resp}, nil
}

func (a *API) checkRead(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	chk, err := svc.CheckLog(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if c.P.Role == credit.RoleBusiness && chk.Dept != c.P.Account.Dept {
		return 0, nil, credit.Say("api.checkRead", credit.Permission, "核查%s属于其他部门", "check %s belongs to another department", id)
	}
	fb, err := a.cfg.Store.FeedbackByCheck(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if fb == nil {
		fb = []credit.Feedback{}
	}
	return http.StatusOK, map[string]any{"check": chk, "feedback": fb}, nil
}

type feedbackInput struct {
	Items []sanction.FeedbackItem `json:"items"`
}

func (a *API) checkFeedback(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	var in feedbackInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	acc := c.P.Account
	c.Target = "check:" + r.PathValue("id")
	fb, err := svc.Feedback(r.Context(), sanction.Caller{Name: acc.Name, Dept: acc.Dept}, r.PathValue("id"), in.Items)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"feedback": fb}, nil
}

func (a *API) checkStats(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	dept, matter := q.Get("dept"), q.Get("matter")
	if c.P.Role == credit.RoleBusiness {
		if dept != "" && dept != c.P.Account.Dept {
			return 0, nil, credit.Say("api.checkStats", credit.Permission, "业务系统只能查看本部门的统计", "a business system sees the statistics of its own department only")
		}
		dept = c.P.Account.Dept
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return 0, nil, credit.Say("api.checkStats", credit.Invalid, "since 须为 RFC 3339 格式的时间，如 2026-01-02T15:04:05+08:00", "since must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
		}
		since = t
	}
	st, err := svc.Stats(r.Context(), dept, matter, since)
	if err != nil {
		return 0, nil, err
	}
	if st == nil {
		st = []sanction.Stat{}
	}
	return http.StatusOK, map[string]any{"stats": st, "feedback_due_hours": svc.FeedbackDue().Hours()}, nil
}

type nameDecisionInput struct {
	Name      string `json:"name"`
	SubjectID string `json:"subject_id"`
	Reason    string `json:"reason"`
}

func (a *API) nameDecision(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	var in nameDecisionInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return 0, nil, credit.Say("api.nameDecision", credit.Invalid, "请说明候选主体不是所查主体的理由（reason）", "state why the candidate is not the subject (reason)")
	}
	c.Target = in.SubjectID
	d, err := svc.NotThisSubject(r.Context(), c.P.Actor(), in.Name, in.SubjectID, in.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, d, nil
}

type mattersInput struct {
	Matters []string `json:"matters"`
}

func (a *API) setMatters(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	var in mattersInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	acc, err := a.cfg.Store.Account(r.Context(), r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	c.Target = "account:" + acc.Name
	if err := svc.SetMatters(r.Context(), acc, in.Matters); err != nil {
		return 0, nil, err
	}
	ms, err := svc.Matters(r.Context(), acc.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"account": acc.Name, "matters": ms}, nil
}

func (a *API) getMatters(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.sanction()
	if err != nil {
		return 0, nil, err
	}
	acc, err := a.cfg.Store.Account(r.Context(), r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	ms, err := svc.Matters(r.Context(), acc.ID)
	if err != nil {
		return 0, nil, err
	}
	if ms == nil {
		ms = []string{}
	}
	return http.StatusOK, map[string]any{"account": acc.Name, "matters": ms}, nil
}
