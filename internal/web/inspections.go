package web

import (
	"github.com/xinyong/xinyong/internal/evaluation"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/inspection"
)

// The 双随机、一公开 pages (国办发〔2019〕35号 (七)): the published
// inspection tasks, and one task's statement, randomness, draw and
// results, with the file that `xinyong draw verify` re-runs.

func init() {
	for lang, m := range inspMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

var inspMessages = map[string]map[string]string{
	"zh": {
		"nav_inspections":    "双随机抽查",
		"in_title":           "双随机、一公开",
		"in_intro":           "部门先公布抽查任务、抽查对象名录库的摘要（哈希）和各监管类别的抽查比例，再以公布之后才产生的随机数（信用信息透明日志的下一个签名检查点，或约定的公共信标值）随机抽取检查对象和执法检查人员；任何人都可以下载任务文件，用 xinyong draw verify 离线复核抽取结果。",
		"in_none":            "尚无公布的抽查任务。",
		"in_task":            "抽查任务",
		"in_dept":            "实施部门",
		"in_matter":          "事项",
		"in_item":            "检查事项",
		"in_published":       "公布时间",
		"in_drawn_at":        "抽取时间",
		"in_state":           "状态",
		"in_state_published": "已公布，待抽取",
		"in_state_drawn":     "已抽取",
		"in_pool":            "对象名录库",
		"in_pool_hash":       "名录库哈希",
		"in_drawn_count":     "抽中对象",
		"in_classes":         "监管类别与抽查比例",
		"in_class":           "类别",
		"in_ratio":           "抽查比例",
		"in_class_pool":      "名录库中",
		"in_class_draw":      "抽取",
		"in_inspectors":      "执法检查人员",
		"in_per_subject":     "每个对象人数",
		"in_avoid":           "回避规则",
		"in_avoid_region":    "不派往本人所属区域的对象",
		"in_avoid_recent":    "不派往本人近%d个月检查过的对象",
		"in_randomness":      "随机数来源",
		"in_src_checkpoint":  "信用信息透明日志公布后的第一个签名检查点",
		"in_src_beacon":      "公共信标值",
		"in_statement_hash":  "公告哈希",
		"in_seed":            "种子",
		"in_checkpoint":      "检查点",
		"in_draw":            "抽取结果",
		"in_subject":         "检查对象",
		"in_rank":            "排序值",
		"in_missing":         "因回避缺%d人",
		"in_results":         "检查结果（一公开）",
		"in_result":          "结果",
		"in_date":            "检查日期",
		"in_no_results":      "尚未公布检查结果。",
		"in_download":        "下载任务文件（TASK.json）",
		"in_verify_hint":     "复核：xinyong draw verify TASK.json",
		"in_more":            "另有%d个抽中对象，见任务文件。",
		"class_regular":      "常规",
		"in_act_draw":        "抽取",
		"in_act_draw_note":   "以公布之后信用信息透明日志的第一个签名检查点为随机数抽取；抽取只能进行一次。",
		"in_act_beacon":      "公告约定的公共信标值",
		"in_act_results":     "公布检查结果",
		"in_act_detail":      "发现的问题",
		"in_act_publish":     "公布",
		"in_notice_drawn":    "已抽取。",
		"in_notice_result":   "检查结果已公布。",
	},
	"en": {
		"nav_inspections":    "Random inspections",
		"in_title":           "Random inspections (双随机、一公开)",
		"in_intro":           "A department first publishes the task, the hash of the pool of subjects and the inspection ratio of each supervision class; the subjects and inspectors are then drawn with randomness that did not exist before that publication (the credit log's next signed checkpoint, or a public beacon value named in advance). Anyone can download the task file and re-run the draw offline with xinyong draw verify.",
		"in_none":            "No inspection task published yet.",
		"in_task":            "Task",
		"in_dept":            "Department",
		"in_matter":          "Matter",
		"in_item":            "Inspection item",
		"in_published":       "Published",
		"in_drawn_at":        "Drawn",
		"in_state":           "State",
		"in_state_published": "Published, not drawn",
		"in_state_drawn":     "Drawn",
		"in_pool":            "Pool",
		"in_pool_hash":       "Pool hash",
		"in_drawn_count":     "Drawn",
		"in_classes":         "Supervision classes and ratios",
		"in_class":           "Class",
		"in_ratio":           "Ratio",
		"in_class_pool":      "In pool",
		"in_class_draw":      "Drawn",
		"in_inspectors":      "Inspectors",
		"in_per_subject":     "Per subject",
		"in_avoid":           "Avoidance",
		"in_avoid_region":    "none sent to a subject of their own region",
		"in_avoid_recent":    "none sent to a subject they inspected in the last %d months",
		"in_randomness":      "Randomness",
		"in_src_checkpoint":  "the credit log's first signed checkpoint after publication",
		"in_src_beacon":      "a public beacon value",
		"in_statement_hash":  "Statement hash",
		"in_seed":            "Seed",
		"in_checkpoint":      "Checkpoint",
		"in_draw":            "Draw",
		"in_subject":         "Subject",
		"in_rank":            "Rank",
		"in_missing":         "%d short (avoidance)",
		"in_results":         "Results (published after inspection)",
		"in_result":          "Result",
		"in_date":            "Inspected on",
		"in_no_results":      "No results published yet.",
		"in_download":        "Download the task file (TASK.json)",
		"in_verify_hint":     "Verify: xinyong draw verify TASK.json",
		"in_more":            "%d more drawn subjects are in the task file.",
		"class_regular":      "Regular",
		"in_act_draw":        "Draw",
		"in_act_draw_note":   "Draws with the credit log's first signed checkpoint after publication; a task is drawn once.",
		"in_act_beacon":      "The public beacon value the statement named",
		"in_act_results":     "Publish results",
		"in_act_detail":      "Findings",
		"in_act_publish":     "Publish",
		"in_notice_drawn":    "Drawn.",
		"in_notice_result":   "Result published.",
	},
}

// inspPage is the inspection pages' data.
type inspPage struct {
	Tasks     []credit.InspectionTask
	Task      *credit.InspectionTask
	Statement *inspection.Statement
	Draw      *inspection.Draw
	Rows      []inspRow
	More      int
	Results   []resultRow
	Published string
	DrawnAt   string
	// CanAct: the viewer draws the task and publishes its results (its
	// department, an administrator); Pending are the drawn subjects
	// without a published result; Notice what the last step said.
	CanAct   bool
	Pending  []inspRow
	Results4 []string
	Today    string
	Notice   string
	Classes  []classRow
	// sup is the department's graded supervision of the task's matter
	// (the evaluation model), which names its classes.
	sup    *evaluation.Supervision
	Avoid  []string
	Source string
	Value  string
}

type resultRow struct {
	credit.InspectionResult
	Date string
}

// ClassName is class c's name: the department's graded supervision's
// (the evaluation model), else the page's messages' (常规), else the code.
func (pg *inspPage) ClassName(n names, c string) string {
	if pg.sup != nil {
		if zh, en, _, ok := pg.sup.Named(c); ok {
			return n.pick(zh, en)
		}
	}
	return n.Class(c)
}

type classRow struct {
	inspection.ClassRatio
	Ratio string
}

type inspRow struct {
	inspection.Drawn
	No         int
	Name       string
	Inspectors string
	Missing    string
}

// inspRowsShown bounds the drawn subjects a page lists; the file has all.
const inspRowsShown = 500

func (p *Portal) inspectionRoutes() error {
	for _, name := range []string{"inspections", "inspection"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /inspections", p.inspections)
	p.mux.HandleFunc("GET /inspections/{id}", p.inspectionPage)
	p.mux.HandleFunc("POST /inspections/{id}/draw", p.inspectionAct)
	p.mux.HandleFunc("POST /inspections/{id}/results", p.inspectionAct)
	return nil
}

func (p *Portal) inspections(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	ts, err := p.cfg.Inspection.Store.Inspections(r.Context(), credit.InspectionFilter{Limit: 200})
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = v.T["in_title"]
	v.Insp = &inspPage{Tasks: ts}
	p.render(w, r, http.StatusOK, "inspections", v, nil)
}

func (p *Portal) inspectionPage(w http.ResponseWriter, r *http.Request) {
	p.renderInspection(w, r, http.StatusOK, "")
}

// renderInspection renders a task's page with status, and a failed
// step's message when there is one.
func (p *Portal) renderInspection(w http.ResponseWriter, r *http.Request, status int, failed string) {
	v := p.newView(w, r, p.principal(r))
	ctx := r.Context()
	t, f, err := p.cfg.Inspection.Task(ctx, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	res, err := p.cfg.Inspection.Store.InspectionResults(ctx, t.ID)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	pg := &inspPage{Task: t, Statement: &f.Statement, Draw: f.Draw,
		Published: t.PublishedAt.In(chinatime.Location).Format("2006-01-02 15:04:05"), DrawnAt: t.DrawnAt.In(chinatime.Location).Format("2006-01-02 15:04:05")}
	for _, x := range res {
		pg.Results = append(pg.Results, resultRow{InspectionResult: x, Date: x.InspectedOn.In(chinatime.Location).Format("2006-01-02")})
	}
	st := &f.Statement
	for _, c := range st.Classes {
		pg.Classes = append(pg.Classes, classRow{ClassRatio: c, Ratio: strconv.FormatFloat(float64(c.RatioBP)/100, 'f', -1, 64) + " %"})
	}
	if st.Avoid.OwnRegion {
		pg.Avoid = append(pg.Avoid, v.T["in_avoid_region"])
	}
	if st.Avoid.RecentMonths > 0 {
		pg.Avoid = append(pg.Avoid, strings.Replace(v.T["in_avoid_recent"], "%d", strconv.Itoa(st.Avoid.RecentMonths), 1))
	}
	pg.Source = v.T["in_src_"+st.Randomness.Source]
	if st.Randomness.Source == inspection.SourceBeacon {
		pg.Source += "：" + st.Randomness.Beacon
	}
	if d := f.Draw; d != nil {
		pg.Value = d.Randomness.Value
		names := map[string]string{}
		for _, in := range st.Inspectors {
			names[in.ID] = in.Name
		}
		for i, x := range d.Subjects {
			if i == inspRowsShown {
				pg.More = len(d.Subjects) - i
				break
			}
			row := inspRow{Drawn: x, No: i + 1, Name: x.Subject}
			if s, err := p.cfg.Store.Subject(ctx, x.Subject); err == nil {
				row.Name = s.Name
			}
			var ins []string
			for _, id := range x.Inspectors {
				ins = append(ins, names[id]+"（"+id+"）")
			}
			row.Inspectors = strings.Join(ins, "、")
			if x.Missing > 0 {
				row.Missing = strings.Replace(v.T["in_missing"], "%d", strconv.Itoa(x.Missing), 1)
			}
			pg.Rows = append(pg.Rows, row)
		}
	}
	pr := p.principal(r)
	pg.CanAct = pr.Authenticated() && (pr.Role == credit.RoleAdmin || pr.Role == credit.RoleDept && pr.Account != nil && pr.Account.Dept == t.Dept)
	if pg.CanAct {
		done := map[string]bool{}
		for _, x := range res {
			done[x.SubjectID] = true
		}
		for _, row := range pg.Rows {
			if !done[row.Subject] {
				pg.Pending = append(pg.Pending, row)
			}
		}
		pg.Results4 = []string{inspection.ResultPassed, inspection.ResultFailed, inspection.ResultUnpublic, inspection.ResultUnreachable}
		pg.Today = p.cfg.Now().In(chinatime.Location).Format("2006-01-02")
	}
	pg.Notice = r.URL.Query().Get("notice")
	if pg.Notice != "" {
		pg.Notice = v.T["in_notice_"+pg.Notice]
	}
	if failed != "" {
		pg.Notice = failed
	}
	v.Title = t.Title
	if p.cfg.Evaluation != nil {
		pg.sup = p.cfg.Evaluation.Model().SupervisionFor(st.Dept, st.Matter)
	}
	v.Insp = pg
	p.render(w, r, status, "inspection", v, nil)
}

// inspectionAct draws a task or publishes a result from the task's page
// (its department, an administrator), audited as the API's routes are.
func (p *Portal) inspectionAct(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	v := p.newView(w, r, pr)
	id := r.PathValue("id")
	draw := strings.HasSuffix(r.URL.Path, "/draw")
	action := "inspection.result"
	if draw {
		action = "inspection.draw"
	}
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/inspections/"+id), http.StatusSeeOther)
		return
	}
	dept := ""
	switch pr.Role {
	case credit.RoleAdmin:
	case credit.RoleDept:
		dept = "-"
		if pr.Account != nil && pr.Account.Dept != "" {
			dept = pr.Account.Dept
		}
	default:
		p.audit.Denied(r.Context(), pr, action, id, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["console_forbidden"] })
		return
	}
	var err error
	notice := "drawn"
	if draw {
		_, _, err = p.cfg.Inspection.Draw(r.Context(), dept, id, r.PostForm.Get("beacon"))
	} else {
		notice = "result"
		_, err = p.cfg.Inspection.Record(r.Context(), dept, pr.Name(), id, inspection.ResultInput{Subject: r.PostForm.Get("subject"),
			Result: r.PostForm.Get("result"), Detail: r.PostForm.Get("detail"), InspectedOn: r.PostForm.Get("inspected_on")})
	}
	if credit.Is(credit.Permission, err) {
		p.audit.Denied(r.Context(), pr, action, id, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["console_forbidden"] })
		return
	}
	if err == nil {
		err = p.audit.Read(r.Context(), pr, action, id, "", httpx.RemoteIP(r))
	}
	if err != nil {
		if k := credit.KindOf(err); k == credit.Invalid || k == credit.Conflict || k == credit.Exists {
			p.renderInspection(w, r, http.StatusBadRequest, says(v, err))
			return
		}
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/inspections/"+id+"?notice="+notice, http.StatusSeeOther)
}

// Class names a supervision class (the classes of graded supervision are
// data; a class without a message shows as it is written).
func (n names) Class(c string) string { return n.key("class_"+c, c) }

// Time is a time in China time, to the minute.
func (n names) Time(t time.Time) string { return t.In(chinatime.Location).Format("2006-01-02 15:04") }
