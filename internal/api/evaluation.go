package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
)

// evaluationRoutes are the public credit evaluation's routes (国办发〔2019〕35号
// 二（六）（七）, the 2025 opinion （十四）): a subject's score with its
// explanation and grade history, a department's supervision class for a
// subject and matter, and the model versions an administrator uploads,
// compares and activates.
func (a *API) evaluationRoutes() []Route {
	const (
		admin    = credit.RoleAdmin
		reviewer = credit.RoleReviewer
		dept     = credit.RoleDept
		auditor  = credit.RoleAuditor
		subject  = credit.RoleSubject
	)
	p := Prefix
	return []Route{
		{Method: "GET", Path: p + "/subjects/{id}/evaluation", Roles: roles(admin, reviewer, dept, auditor, subject), Purpose: true, Action: "evaluation.read",
			Summary: "A subject's public credit evaluation now: score, grade, model version, each indicator's points and each record's contribution, and its grade history; a subject account reads only its own", Handler: a.subjectEvaluation},
		{Method: "GET", Path: p + "/subjects/{id}/supervision", Roles: roles(admin, reviewer, dept), Purpose: true, Action: "evaluation.class.read",
			Summary: "The supervision class (分级分类监管) of a subject for a department's matter (?dept=&matter=; a department asks for itself), with inspection ratio, frequency and the reasons", Handler: a.supervisionClass},
		{Method: "GET", Path: p + "/evaluation/models", Roles: roles(admin, reviewer, auditor), Action: "evaluation.model.list",
			Summary: "The evaluation model versions (candidate, active, retired) and the active model", Handler: a.evalModels},
		{Method: "POST", Path: p + "/evaluation/models", Roles: roles(admin), Audited: true, Action: "evaluation.model.upload",
			Summary: "Upload a model version (the model file as the body): checked, kept as a candidate and compared with the active version over every subject", Handler: a.uploadEvalModel},
		{Method: "GET", Path: p + "/evaluation/models/{version}", Roles: roles(admin, reviewer, auditor), Action: "evaluation.model.read",
			Summary: "A model version with its comparison (grade distribution before and after, subjects that move)", Handler: a.evalModel},
		{Method: "POST", Path: p + "/evaluation/models/{version}/activation", Roles: roles(admin), Audited: true, Action: "evaluation.model.activate",
			Summary: "Activate a candidate model version: every subject is re-evaluated with it and grade changes are kept with the version as reason", Handler: a.activateEvalModel},
	}
}

func (a *API) evaluation() (*evaluation.Service, error) {
	if a.cfg.Evaluation == nil {
		return nil, credit.Say("api.evaluation", credit.Unavailable, "本节点未开通信用评价", "this node does not run the evaluation")
	}
	return a.cfg.Evaluation, nil
}

func (a *API) subjectEvaluation(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.subjectEvaluation"
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = id
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != id {
		return 0, nil, credit.Say(op, credit.Permission, "信用主体账号只能查看本主体的信用评价", "a subject account may read only its own evaluation")
	}
	res, err := ev.Evaluate(r.Context(), id)
	if err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	c.Detail.Subject = id
	hist, err := ev.History(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if hist == nil {
		hist = []credit.GradeChange{}
	}
	return http.StatusOK, map[string]any{"evaluation": res, "history": hist, "public": ev.Public()}, nil
}

func (a *API) supervisionClass(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.supervisionClass"
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = id
	dept, matter := r.URL.Query().Get("dept"), r.URL.Query().Get("matter")
	if c.P.Role == credit.RoleDept {
		if dept == "" {
			dept = c.P.Account.Dept
		}
		if dept != c.P.Account.Dept {
			return 0, nil, credit.Say(op, credit.Permission, "部门账号只能查询本部门的监管类别", "a department account asks for its own supervision classes only")
		}
	}
	if dept == "" || matter == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "须给出dept和matter", "dept and matter are required")
	}
	c.Detail.Subject = id
	ans, err := ev.Class(r.Context(), dept, matter, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ans, nil
}

func (a *API) evalModels(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	vs, err := ev.Versions(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if vs == nil {
		vs = []credit.EvalModel{}
	}
	return http.StatusOK, map[string]any{"versions": vs, "active": ev.Model()}, nil
}

// maxModelBytes bounds an uploaded model file.
const maxModelBytes = 4 << 20

func (a *API) uploadEvalModel(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.uploadEvalModel"
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxModelBytes+1))
	if err != nil {
		return 0, nil, credit.Wrap(op, credit.Invalid, err)
	}
	if len(body) > maxModelBytes {
		return 0, nil, credit.Say(op, credit.TooLarge, "评价模型文件超过4 MiB", "the model file is larger than 4 MiB")
	}
	cmp, err := ev.Upload(r.Context(), c.P.Account.Name, body)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "evaluation-model:" + cmp.To
	return http.StatusCreated, cmp, nil
}

func (a *API) evalModel(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	m, cmp, err := ev.Comparison(r.Context(), r.PathValue("version"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"version": m, "comparison": cmp, "model": json.RawMessage(m.Body)}, nil
}

func (a *API) activateEvalModel(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	ev, err := a.evaluation()
	if err != nil {
		return 0, nil, err
	}
	v := r.PathValue("version")
	c.Target = "evaluation-model:" + v
	st, err := ev.Activate(r.Context(), c.P.Account.Name, v)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"version": v, "subjects": st.Subjects, "grade_changes": st.Changed, "took_ms": st.Took.Milliseconds()}, nil
}
