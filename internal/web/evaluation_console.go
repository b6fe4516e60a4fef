package web

import (
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/httpx"
)

// The evaluation console (/console/evaluation): the model versions, the
// comparison of a candidate with the active version that an
// administrator reviews before activating it, and a department's lookup
// of a subject's supervision class for a matter (分级分类监管).

func init() {
	pageNames = append(pageNames, "evaluation_console")
	for lang, m := range map[string]map[string]string{
		"zh": {
			"evc_title": "信用评价与分级分类监管", "evc_intro": "公共信用综合评价模型的版本、待启用版本与现行版本的比较（等级分布及等级变动的主体），以及按部门事项查询主体的监管类别（国办发〔2019〕35号 二（六）（七））。",
			"evc_versions": "模型版本", "evc_version": "版本", "evc_state": "状态", "evc_uploaded": "上传", "evc_activated": "启用",
			"evc_state_active": "现行", "evc_state_candidate": "待启用", "evc_state_retired": "已停用",
			"evc_compare": "比较", "evc_from_to": "现行版本 → 待启用版本", "evc_kind": "主体类别", "evc_before": "现行", "evc_after": "待启用",
			"evc_moved": "等级变动的主体", "evc_up": "上升", "evc_down": "下降", "evc_subject": "主体", "evc_activate": "启用该版本",
			"evc_activated_msg": "已启用，全部主体已按新版本重新评价", "evc_upload_note": "上传新版本：POST /api/v1/evaluation/models（模型文件为请求体），上传后在此比较并启用。",
			"evc_class_title": "监管类别查询", "evc_subject_id": "主体（统一社会信用代码）", "evc_matter": "事项", "evc_dept": "部门", "evc_query": "查询",
			"evc_class": "监管类别", "evc_ratio": "抽查比例", "evc_per_year": "每年频次", "evc_reasons": "依据", "evc_no_compare": "无比较结果",
		},
		"en": {
			"evc_title": "Evaluation and graded supervision", "evc_intro": "The evaluation model's versions, a candidate's comparison with the active version (grade distribution and the subjects whose grade moves), and a subject's supervision class for a department's matter (国办发〔2019〕35号 II (6)(7)).",
			"evc_versions": "Model versions", "evc_version": "Version", "evc_state": "State", "evc_uploaded": "Uploaded", "evc_activated": "Activated",
			"evc_state_active": "active", "evc_state_candidate": "candidate", "evc_state_retired": "retired",
			"evc_compare": "Comparison", "evc_from_to": "active → candidate", "evc_kind": "Kind of subject", "evc_before": "Active", "evc_after": "Candidate",
			"evc_moved": "Subjects whose grade moves", "evc_up": "up", "evc_down": "down", "evc_subject": "Subject", "evc_activate": "Activate this version",
			"evc_activated_msg": "Activated: every subject was evaluated again with the new version", "evc_upload_note": "Upload a version with POST /api/v1/evaluation/models (the model file as the body); compare and activate it here.",
			"evc_class_title": "Supervision class", "evc_subject_id": "Subject (credit code)", "evc_matter": "Matter", "evc_dept": "Department", "evc_query": "Look up",
			"evc_class": "Class", "evc_ratio": "Inspection ratio", "evc_per_year": "Per year", "evc_reasons": "Reasons", "evc_no_compare": "No comparison",
		},
	} {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

type evcVersion struct {
	Version, State, Uploaded, Activated string
}

type evcRow struct {
	Kind, Grade   string
	Before, After int
}

type evcPage struct {
	Versions  []evcVersion
	Candidate string
	Compare   *evaluation.Comparison
	Rows      []evcRow
	Admin     bool
	Notice    string
	// The class lookup.
	Subject, Matter, Dept string
	Depts, Matters        []string
	Class                 *evaluation.ClassAnswer
	ClassErr              string
	RatioPct              string
}

func (p *Portal) evaluationConsole(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole%2Fevaluation", http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	if !slices.Contains([]credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleDept}, pr.Role) || p.cfg.Evaluation == nil {
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
		})
		return
	}
	ev := p.cfg.Evaluation
	page := &evcPage{Admin: pr.Role == credit.RoleAdmin}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !p.checkForm(w, r) {
			return
		}
		if pr.Role != credit.RoleAdmin {
			p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
				v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
			})
			return
		}
		ver := r.PostForm.Get("version")
		st, err := ev.Activate(r.Context(), pr.Account.Name, ver)
		if err == nil {
			err = p.audit.ReadWith(r.Context(), pr, "evaluation.model.activate", "evaluation-model:"+ver, "", httpx.RemoteIP(r), auth.Detail{})
			page.Notice = v.T["evc_activated_msg"] + " (" + strconv.Itoa(st.Subjects) + ")"
		}
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	vs, err := ev.Versions(r.Context())
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	for _, m := range vs {
		row := evcVersion{Version: m.Version, State: v.T["evc_state_"+m.State], Uploaded: m.UploadedBy + " " + m.UploadedAt.Format("2006-01-02 15:04")}
		if !m.ActivatedAt.IsZero() {
			row.Activated = m.ActivatedBy + " " + m.ActivatedAt.Format("2006-01-02 15:04")
		}
		page.Versions = append(page.Versions, row)
		if m.State == credit.EvalCandidate && page.Candidate == "" {
			page.Candidate = m.Version
		}
	}
	if page.Candidate != "" {
		_, cmp, err := ev.Comparison(r.Context(), page.Candidate)
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		page.Compare = cmp
		if cmp != nil {
			keys := map[[2]string]bool{}
			for k, gs := range cmp.Before {
				for g := range gs {
					keys[[2]string{k, g}] = true
				}
			}
			for k, gs := range cmp.After {
				for g := range gs {
					keys[[2]string{k, g}] = true
				}
			}
			for k := range keys {
				page.Rows = append(page.Rows, evcRow{Kind: k[0], Grade: k[1], Before: cmp.Before[k[0]][k[1]], After: cmp.After[k[0]][k[1]]})
			}
			sort.Slice(page.Rows, func(i, j int) bool {
				if page.Rows[i].Kind != page.Rows[j].Kind {
					return page.Rows[i].Kind < page.Rows[j].Kind
				}
				return page.Rows[i].Grade < page.Rows[j].Grade
			})
			if len(cmp.Movers) > 200 {
				cmp.Movers = cmp.Movers[:200]
			}
		}
	}
	// The class lookup: a department for itself, staff for any department.
	var sups []*evaluation.Supervision
	if m := ev.Model(); m != nil {
		sups = m.Supervision
	}
	seen := map[string]bool{}
	for _, s := range sups {
		if pr.Role == credit.RoleDept && s.Dept != pr.Account.Dept {
			continue
		}
		page.Depts = append(page.Depts, s.Dept)
		for _, mt := range s.Matters {
			if !seen[mt] {
				seen[mt] = true
				page.Matters = append(page.Matters, mt)
			}
		}
	}
	q := r.URL.Query()
	page.Subject, page.Matter, page.Dept = q.Get("subject"), q.Get("matter"), q.Get("dept")
	if pr.Role == credit.RoleDept {
		page.Dept = pr.Account.Dept
	}
	if page.Subject != "" && page.Matter != "" && page.Dept != "" {
		a, err := ev.Class(r.Context(), page.Dept, page.Matter, page.Subject)
		if err != nil {
			page.ClassErr = err.Error()
			if v.Lang != "en" {
				page.ClassErr = credit.ChineseOr(err)
			}
		} else {
			if err := p.audit.ReadWith(r.Context(), pr, "evaluation.class.read", page.Subject, "分级分类监管", httpx.RemoteIP(r), auth.Detail{Subject: page.Subject}); err != nil {
				p.fail(w, r, v, err)
				return
			}
			page.Class = a
			page.RatioPct = strconv.FormatFloat(a.Ratio*100, 'f', -1, 64) + "%"
		}
	}
	p.render(w, r, status, "evaluation_console", v, func(v *view) {
		v.Title, v.Eval = v.T["evc_title"], page
	})
}
