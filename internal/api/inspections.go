package api

import (
	"net/http"
	"strconv"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
)

// inspectionRoutes are the routes of random inspections (双随机、一公开,
// 国办发〔2019〕35号 (七)): a department publishes a task, draws it once its
// randomness exists, and publishes the results; anyone reads the task,
// its draw and results, and downloads the file that `xinyong draw
// verify` checks.
func (a *API) inspectionRoutes() []Route {
	const (
		admin = credit.RoleAdmin
		dept  = credit.RoleDept
	)
	p := Prefix
	return []Route{
		{Method: "POST", Path: p + "/inspections", Roles: roles(admin, dept), Audited: true, Action: "inspection.create",
			Summary: "Publish a random inspection task: matter, subject pool (a filter over the register), ratios per supervision class, inspectors, avoidance rules and the randomness to come; the pool is snapshotted and its hash published", Handler: a.createInspection},
		{Method: "GET", Path: p + "/inspections", Roles: everyone, Action: "inspection.list",
			Summary: "Published random inspection tasks, newest first (?dept=, ?state=published|drawn)", Handler: a.listInspections},
		{Method: "GET", Path: p + "/inspections/{id}", Roles: everyone, Action: "inspection.read",
			Summary: "A task's published statement, its draw (the randomness, the seed, the drawn subjects and inspectors) and its published results", Handler: a.getInspection},
		{Method: "GET", Path: p + "/inspections/{id}/file", Roles: everyone, Action: "inspection.file",
			Summary: "The task file (TASK.json: statement, pool snapshot, draw, key set, results) that `xinyong draw verify` re-runs offline", Handler: a.inspectionFile},
		{Method: "POST", Path: p + "/inspections/{id}/draw", Roles: roles(admin, dept), Audited: true, Action: "inspection.draw",
			Summary: "Draw a published task: with the log's first checkpoint after its publication, or the public beacon value the statement named ({\"beacon\": ...})", Handler: a.drawInspection},
		{Method: "POST", Path: p + "/inspections/{id}/results", Roles: roles(admin, dept), Audited: true, Action: "inspection.result",
			Summary: "Publish the result of inspecting one drawn subject (一公开); a failed inspection becomes a record of the catalogue's inspection item", Handler: a.inspectionResult},
	}
}

func (a *API) inspection() (*inspection.Service, error) {
	if a.cfg.Inspection == nil {
		return nil, credit.E("api", credit.Unavailable, "random inspections are not configured on this node")
	}
	return a.cfg.Inspection, nil
}

// inspectionDept is the department a caller acts for: its own (a
// department), "" (an administrator, for any).
func inspectionDept(c *Call) string {
	if c.P.Role == credit.RoleDept {
		if c.P.Account.Dept == "" {
			return "-" // a department account without a department acts for none
		}
		return c.P.Account.Dept
	}
	return ""
}

func (a *API) createInspection(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	var req inspection.Request
	if err := decode(w, r, &req); err != nil {
		return 0, nil, err
	}
	t, err := svc.Create(r.Context(), inspectionDept(c), req)
	if err != nil {
		return 0, nil, err
	}
	c.Target = t.ID
	return http.StatusCreated, inspectionView(t, nil, nil), nil
}

// inspectionView is a task as the API shows it.
func inspectionView(t *credit.InspectionTask, f *inspection.File, results []credit.InspectionResult) map[string]any {
	out := map[string]any{"task": t}
	if f != nil {
		out["statement"] = f.Statement
		if f.Draw != nil {
			out["draw"] = f.Draw
		}
	}
	if results != nil {
		out["results"] = results
	}
	return out
}

func (a *API) listInspections(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	ts, err := svc.Store.Inspections(r.Context(), credit.InspectionFilter{Dept: q.Get("dept"), State: q.Get("state"), Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	if ts == nil {
		ts = []credit.InspectionTask{}
	}
	return http.StatusOK, map[string]any{"tasks": ts}, nil
}

func (a *API) getInspection(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	t, f, err := svc.Task(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	res, err := svc.Store.InspectionResults(r.Context(), t.ID)
	if err != nil {
		return 0, nil, err
	}
	if res == nil {
		res = []credit.InspectionResult{}
	}
	return http.StatusOK, inspectionView(t, f, res), nil
}

func (a *API) inspectionFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	f, err := svc.File(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="task-`+f.Statement.Task+`.json"`)
	return http.StatusOK, f, nil
}

func (a *API) drawInspection(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Beacon string `json:"beacon,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return 0, nil, err
		}
	}
	c.Target = r.PathValue("id")
	t, d, err := svc.Draw(r.Context(), inspectionDept(c), c.Target, in.Beacon)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"task": t, "draw": d}, nil
}

func (a *API) inspectionResult(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	svc, err := a.inspection()
	if err != nil {
		return 0, nil, err
	}
	var in inspection.ResultInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = in.Subject
	res, err := svc.Record(r.Context(), inspectionDept(c), c.P.Account.Name, r.PathValue("id"), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"result": res}, nil
}
