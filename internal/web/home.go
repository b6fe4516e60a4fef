package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Site is who runs the portal: the operating unit (主办单位) and its
// registration numbers, shown in every page's footer as a Chinese
// government site must show them (ICP备案 under 《互联网信息服务管理办法》,
// 公安机关备案 under 《计算机信息网络国际联网安全保护管理办法》). Empty
// fields are left out of the footer.
type Site struct {
	Operator   string // 主办（运营）单位
	OperatorEn string
	ICP        string // ICP备案号, e.g. 闽ICP备12345678号
	Police     string // 公安机关备案号, e.g. 闽公网安备35010002000001号
}

// OperatorName is the operator in the page's language.
func (s Site) OperatorName(lang string) string {
	if lang == "en" && s.OperatorEn != "" {
		return s.OperatorEn
	}
	return s.Operator
}

// homePage is the home page's data.
type homePage struct {
	Notices  []postView
	Policies []postView
	Stats    []homeStat
	Lists    []homeList
	Guides   []guide
}

type homeStat struct {
	Key string
	N   int
}

type homeList struct {
	Code, Name, Kind string
	N                int
}

// guide is one 办事指南: what to prepare and the steps, with a form to
// download.
type guide struct {
	Key, Title, Body, Link, Template string
	Steps                            []string
}

// homeStatsTTL is how long the home page's counts are kept: counting
// subjects, records and the month's repairs is not done per visitor.
const homeStatsTTL = time.Minute

// homeCache keeps the counts of the home page.
type homeCache struct {
	mu    sync.Mutex
	at    time.Time
	stats []homeStat
	lists map[string]int
}

// homeCounts are the platform's counts: subjects, records, list entries
// in force, and credit repairs completed this month (China time).
func (p *Portal) homeCounts(ctx context.Context) ([]homeStat, map[string]int, error) {
	c := &p.homeStats
	c.mu.Lock()
	defer c.mu.Unlock()
	now := p.cfg.Now()
	if c.stats != nil && now.Sub(c.at) < homeStatsTTL && !now.Before(c.at) {
		return c.stats, c.lists, nil
	}
	ns, err := p.cfg.Store.CountSubjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	nr, err := p.cfg.Store.CountRecords(ctx)
	if err != nil {
		return nil, nil, err
	}
	lists := map[string]int{}
	listed := 0
	if p.cfg.Sanction != nil {
		for code, n := range p.cfg.Sanction.ListedCounts(now) {
			lists[code] = n
			listed += n
		}
	}
	repairs := 0
	if p.cfg.Workflow != nil {
		local := now.In(chinatime.Location)
		month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, chinatime.Location)
		cases, err := p.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: credit.CaseRepair, Limit: 10000})
		if err != nil {
			return nil, nil, err
		}
		for _, cs := range cases {
			if cs.State == workflow.StateRepaired && !cs.Updated.Before(month) {
				repairs++
			}
		}
	}
	c.stats = []homeStat{{"home_stat_subjects", ns}, {"home_stat_records", nr}, {"home_stat_listed", listed}, {"home_stat_repairs", repairs}}
	c.lists, c.at = lists, now
	return c.stats, c.lists, nil
}

func (p *Portal) portalRoutes() {
	p.mux.HandleFunc("GET /favicon.ico", p.favicon)
	p.mux.HandleFunc("GET /guides/{name}", p.guideTemplate)
	p.listPageRoutes()
	p.sitePageRoutes()
	p.mux.HandleFunc("GET /publicity", p.publicity)
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	stats, lists, err := p.homeCounts(r.Context())
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	h := &homePage{Stats: stats}
	for _, lt := range p.cfg.Catalog.Lists {
		if slices.Contains(publish.ListKinds, lt.Kind) {
			h.Lists = append(h.Lists, homeList{Code: lt.Code, Name: v.N.List(lt.Code), Kind: string(lt.Kind), N: lists[lt.Code]})
		}
	}
	h.Guides = p.guides(v)
	if h.Notices, h.Policies, err = p.homePosts(r, v); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, http.StatusOK, "home", v, func(v *view) { v.Title, v.Home = v.T["home_title"], h })
}

// guides are the 办事指南 for an objection, a credit repair and a
// commitment, their steps and time limits taken from the workflow's rules
// (国家发展改革委令2023年第58号 on repair; 国办发〔2020〕49号 on objections).
func (p *Portal) guides(v *view) []guide {
	var rules workflow.Rules
	if p.cfg.Workflow != nil {
		rules = p.cfg.Workflow.Rules()
	}
	T := v.T
	// 网上办理 leads a subject to its own pages, a signed-out visitor to
	// sign in and there; other roles do not act for a subject.
	online := func(path string) string {
		switch {
		case v.Account == nil:
			return "/login?next=" + url.QueryEscape(path)
		case v.Account.Role == credit.RoleSubject:
			return path
		}
		return ""
	}
	return []guide{
		{Key: "objection", Title: T["guide_objection"], Body: T["guide_objection_body"], Link: online("/my/cases"), Template: "/guides/objection.xlsx",
			Steps: []string{T["guide_objection_1"], fmt.Sprintf(T["guide_objection_2"], rules.ObjectionAccept, rules.ObjectionVerify), T["guide_objection_3"]}},
		{Key: "repair", Title: T["guide_repair"], Body: T["guide_repair_body"], Link: online("/my/cases"), Template: "/guides/repair.xlsx",
			Steps: []string{T["guide_repair_1"], fmt.Sprintf(T["guide_repair_2"], rules.RepairAccept, rules.RepairDecide), T["guide_repair_3"]}},
		{Key: "commitment", Title: T["guide_commitment"], Body: T["guide_commitment_body"], Link: online("/my/commitments"), Template: "/guides/commitment.xlsx",
			Steps: []string{T["guide_commitment_1"], T["guide_commitment_2"], T["guide_commitment_3"]}},
	}
}

// guideTemplate serves a guide's form as an XLSX workbook, made from the
// catalogue's own texts (the commitment texts a subject accepts), so the
// paper form and the online one say the same.
func (p *Portal) guideTemplate(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	name := strings.TrimSuffix(r.PathValue("name"), ".xlsx")
	if name == r.PathValue("name") {
		p.fail(w, r, v, credit.E("web.guide", credit.NotFound, "no template %s", r.PathValue("name")))
		return
	}
	b, err := guideWorkbook(p.cfg.Catalog, name, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, name))
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// guideWorkbook builds the form of guide name in the page's language.
func guideWorkbook(cat *catalog.Catalog, name string, v *view) ([]byte, error) {
	T := v.T
	var title string
	var fields []string
	var texts []string
	switch name {
	case "objection":
		title = T["guide_objection_form"]
		fields = []string{T["gform_applicant"], T["col_code"], T["gform_contact"], T["gform_phone"], T["gform_record"], T["gform_doc"], T["gform_dept"], T["gform_reason"], T["gform_evidence"], T["gform_date"]}
	case "repair":
		title = T["guide_repair_form"]
		fields = []string{T["gform_applicant"], T["col_code"], T["gform_contact"], T["gform_phone"], T["gform_record"], T["gform_doc"], T["gform_dept"], T["gform_fulfilled"], T["gform_evidence"], T["gform_date"]}
		if k, err := cat.CommitmentKind(workflow.RepairCommitmentKind); err == nil {
			texts = append(texts, v.N.pick(k.Name, k.NameEn)+"："+v.N.pick(k.Text, k.TextEn))
		}
	case "commitment":
		title = T["guide_commitment_form"]
		fields = []string{T["gform_applicant"], T["col_code"], T["col_legal_rep"], T["gform_matter"], T["gform_kind"], T["gform_date"]}
		for _, k := range cat.Commitments.Kinds {
			if k.Text == "" {
				continue
			}
			texts = append(texts, v.N.pick(k.Name, k.NameEn)+"："+v.N.pick(k.Text, k.TextEn))
		}
	default:
		return nil, credit.E("web.guide", credit.NotFound, "no template %s", name)
	}
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	set := func(cell string, val any) error { return f.SetCellValue(sh, cell, val) }
	if err := set("A1", title); err != nil {
		return nil, err
	}
	row := 3
	for _, fl := range fields {
		if err := set(fmt.Sprintf("A%d", row), fl); err != nil {
			return nil, err
		}
		row++
	}
	row++
	for _, t := range texts {
		if err := set(fmt.Sprintf("A%d", row), t); err != nil {
			return nil, err
		}
		row++
	}
	if err := set(fmt.Sprintf("A%d", row+1), T["gform_signature"]); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sh, "A", "A", 40); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sh, "B", "B", 60); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("guide %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// favicon answers the browsers that ask for /favicon.ico before reading a
// page's icon link.
func (p *Portal) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}
