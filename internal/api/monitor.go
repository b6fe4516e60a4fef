package api

import (
	"net/http"
	"strconv"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/monitor"
)

// monitorRoutes serve the city credit monitoring (城市信用状况监测, 2025
// opinion 七): the indicators, each one's series and the departments'
// data-quality ranking. The credit office and the auditor see the city;
// a department sees its own figures.
func (a *API) monitorRoutes() []Route {
	who := roles(credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleDept)
	return []Route{
		{Method: "GET", Path: Prefix + "/monitor/indicators", Roles: who, Action: "monitor.indicators.read",
			Summary: "The monitoring indicators (城市信用状况监测) with their policy basis; a department gets those it has figures in", Handler: a.monitorIndicators},
		{Method: "GET", Path: Prefix + "/monitor/series/{code}", Roles: who, Action: "monitor.series.read",
			Summary: "An indicator's series by month or week (period, n): per department or matter and the city total; a department gets its own", Handler: a.monitorSeries},
		{Method: "GET", Path: Prefix + "/monitor/ranking", Roles: who, Action: "monitor.ranking.read",
			Summary: "Departments ranked by data quality (双公示 timeliness, compliance, completeness) over the window; a department gets its own row", Handler: a.monitorRanking},
	}
}

func (a *API) monitorQuery(r *http.Request, c *Call) (*monitor.Service, monitor.Query, error) {
	const op = "api.monitor"
	if a.cfg.Monitor == nil {
		return nil, monitor.Query{}, credit.Say(op, credit.Unavailable, "本节点未开通信用状况监测", "this node does not run the monitoring")
	}
	q := monitor.Query{Period: r.URL.Query().Get("period")}
	if v := r.URL.Query().Get("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, q, credit.Say(op, credit.Invalid, "n须为周期数（1到%[2]d），不能为“%[1]s”", "n is a number of periods (1 to %[2]d), not %[1]q", v, monitor.MaxPeriods)
		}
		q.N = n
	}
	if c.P.Role == credit.RoleDept {
		q.Dept = c.P.Account.Dept
	}
	return a.cfg.Monitor, q, nil
}

func (a *API) monitorIndicators(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	m, q, err := a.monitorQuery(r, c)
	if err != nil {
		return 0, nil, err
	}
	set := m.Indicators()
	out := []*monitor.Indicator{}
	for _, in := range set.Indicators {
		if monitor.Visible(in, q.Dept) {
			out = append(out, in)
		}
	}
	return http.StatusOK, map[string]any{"version": set.Version, "basis": set.Basis, "indicators": out}, nil
}

func (a *API) monitorSeries(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	m, q, err := a.monitorQuery(r, c)
	if err != nil {
		return 0, nil, err
	}
	sr, err := m.Series(r.Context(), r.PathValue("code"), q)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, sr, nil
}

func (a *API) monitorRanking(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	m, q, err := a.monitorQuery(r, c)
	if err != nil {
		return 0, nil, err
	}
	rows, err := m.Ranking(r.Context(), q)
	if err != nil {
		return 0, nil, err
	}
	if rows == nil {
		rows = []monitor.RankRow{}
	}
	return http.StatusOK, map[string]any{"ranking": rows}, nil
}
