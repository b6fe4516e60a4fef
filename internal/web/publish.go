package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/publish"
)

func init() {
	for lang, m := range publishMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

// publishMessages are the publication pages' messages, merged into
// messages (every key in both languages; TestMessagesComplete checks).
var publishMessages = map[string]map[string]string{
	"zh": {
		"nav_black":                "失信名单",
		"nav_red":                  "诚信红名单",
		"list_black_title":         "严重失信主体名单公示",
		"list_red_title":           "诚信典型（红名单）公示",
		"list_note":                "名单依法公示，公示期届满自动停止公示；自然人信息依法不公示。",
		"page_label":               "第 %d 页",
		"page_prev":                "上一页",
		"page_next":                "下一页",
		"list_search_hint":         "名单较长，其后的主体请按名称或统一社会信用代码查询。",
		"col_source":               "数据来源",
		"col_published_from":       "公示起始",
		"col_published_till":       "公示截止",
		"until_open":               "有效期内持续公示",
		"mark_objection":           "异议处理中",
		"mark_repair":              "信用修复中",
		"mark_repaired":            "已修复",
		"mark_bankruptcy":          "破产重整屏蔽",
		"mark_revoked":             "已撤销",
		"eval_placeholder":         "信用评价结果不向社会公开",
		"file_title":               "信用档案",
		"file_note":                "本页为信用档案完整视图，仅信用主体本人与授权工作人员可见，与公示页面不同。",
		"file_link":                "查看完整信用档案",
		"public_status":            "社会公示",
		"public_yes":               "公示中",
		"public_no":                "不公示",
		"reason_in_window":         "公示期内",
		"reason_open_ended":        "有效期内",
		"reason_not_yet":           "未到公示起始日",
		"reason_window_ended":      "公示期已满，已停止公示",
		"reason_not_published":     "依规定不予公示",
		"reason_person_not_public": "自然人失信信息不公示",
		"reason_revoked":           "决定已撤销",
		"reason_repaired":          "已信用修复",
		"reason_bankruptcy_masked": "破产重整期间屏蔽",
		"reason_unknown_item":      "目录外信息",
		"forbidden_file":           "您无权查看该主体的信用档案。",
	},
	"en": {
		"nav_black":                "Blacklists",
		"nav_red":                  "Red list",
		"list_black_title":         "Published serious dishonesty lists",
		"list_red_title":           "Published red list (honest models)",
		"list_note":                "Lists are published as the law requires and stop by themselves when the period ends; natural persons are not published.",
		"page_label":               "Page %d",
		"page_prev":                "Previous",
		"page_next":                "Next",
		"list_search_hint":         "The list goes on: search by name or unified social credit code for the subjects further down.",
		"col_source":               "Data source",
		"col_published_from":       "Published from",
		"col_published_till":       "Published until",
		"until_open":               "Published while valid",
		"mark_objection":           "Under objection",
		"mark_repair":              "Under credit repair",
		"mark_repaired":            "Repaired",
		"mark_bankruptcy":          "Masked (bankruptcy reorganisation)",
		"mark_revoked":             "Revoked",
		"eval_placeholder":         "Evaluation results are not public",
		"file_title":               "Credit file",
		"file_note":                "This is the complete credit file, visible only to the subject and authorised staff; it differs from the public page.",
		"file_link":                "View the complete credit file",
		"public_status":            "Public",
		"public_yes":               "published",
		"public_no":                "not published",
		"reason_in_window":         "within the publication period",
		"reason_open_ended":        "while valid",
		"reason_not_yet":           "before the publication start",
		"reason_window_ended":      "publication period ended",
		"reason_not_published":     "not published under the rules",
		"reason_person_not_public": "natural persons' dishonesty information is not published",
		"reason_revoked":           "decision revoked",
		"reason_repaired":          "credit repaired",
		"reason_bankruptcy_masked": "masked during bankruptcy reorganisation",
		"reason_unknown_item":      "not in the catalogue",
		"forbidden_file":           "You may not read this subject's credit file.",
	},
}

// sectionView is one tab of a subject page.
type sectionView struct {
	Key, Label  string
	Placeholder bool
	Entries     []entryView
	// Eval is the evaluation section's content, for viewers who may see
	// it (the subject itself, government units; anyone if the model
	// publishes grades).
	Eval *evalView
}

// entryView is one record as a page shows it.
type entryView struct {
	ID, Item, Severity, Source, From, Until string
	Marks                                   []string
	Rows                                    []row
	Public                                  string // on the file page: whether and why it is public
	T                                       map[string]string
}

// sections asks the publication engine what aud sees of subject s and
// shapes it for the page.
func (p *Portal) sections(ctx context.Context, s *credit.Subject, aud publish.Audience, v *view) ([]sectionView, error) {
	states, err := p.cfg.Records.File(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	secs, err := p.cfg.Publish.SectionsOf(ctx, states, s, aud, p.cfg.Marks)
	if err != nil {
		return nil, err
	}
	// On the file page each record says whether and why the public sees
	// it: the engine decides with the record's real marks (a repaired or
	// masked record is not public).
	var public map[string]publish.Decision
	if aud != publish.Public {
		ids := make([]string, len(states))
		for i, st := range states {
			ids[i] = st.Origin
		}
		marks, err := p.cfg.Marks.Marks(ctx, ids)
		if err != nil {
			return nil, err
		}
		public = map[string]publish.Decision{}
		for _, st := range states {
			public[st.Origin] = p.cfg.Publish.Decide(st, s, publish.Public, marks[st.Origin])
		}
	}
	out := make([]sectionView, 0, len(secs))
	for _, sec := range secs {
		sv := sectionView{Key: sec.Code, Label: sec.Name, Placeholder: sec.Placeholder}
		if sec.Code == "evaluation" {
			ev, err := p.evaluationView(ctx, s, v)
			if err != nil {
				return nil, err
			}
			sv.Eval = ev
		}
		if v.Lang == "en" {
			sv.Label = sec.NameEn
		}
		for _, d := range sec.Entries {
			ev := p.entry(d, v)
			if public != nil {
				pd := public[d.Origin]
				ev.Public = v.T["public_no"] + " · " + v.T["reason_"+string(pd.Reason)]
				if pd.Visible {
					ev.Public = v.T["public_yes"] + " · " + v.T["reason_"+string(pd.Reason)]
				}
			}
			sv.Entries = append(sv.Entries, ev)
		}
		out = append(out, sv)
	}
	return out, nil
}

func (p *Portal) entry(d publish.Decision, v *view) entryView {
	ev := entryView{ID: d.RecordID, Item: v.N.Item(d.Item), Severity: string(d.Severity), Source: d.Source, T: v.T}
	if _, err := p.cfg.Catalog.Item(d.Item); err != nil {
		// A list decision made on the platform names its list.
		ev.Item = v.N.List(d.Item)
	}
	if name, ok := v.N.dept(d.SourceCode); ok {
		ev.Source = name // the reporting department, in the page's language
	}
	if !d.PublishedFrom.IsZero() {
		ev.From = d.PublishedFrom.In(chinatime.Location).Format(time.DateOnly)
	}
	ev.Until = v.T["until_open"]
	if !d.PublishedUntil.IsZero() {
		// The end is exclusive: the last day shown is the day before.
		ev.Until = d.PublishedUntil.Add(-time.Nanosecond).In(chinatime.Location).Format(time.DateOnly)
	}
	m := d.Marks
	for _, mk := range []struct {
		on  bool
		key string
	}{{m.UnderObjection, "mark_objection"}, {m.UnderRepair, "mark_repair"}, {m.Repaired, "mark_repaired"}, {m.BankruptcyMasked, "mark_bankruptcy"}, {d.Revoked, "mark_revoked"}} {
		if mk.on {
			ev.Marks = append(ev.Marks, v.T[mk.key])
		}
	}
	for _, f := range d.Fields {
		label := f.Label
		if v.Lang == "en" {
			label = f.LabelEn
		}
		ev.Rows = append(ev.Rows, row{Label: label, Value: v.N.DeptName(f.Value)})
	}
	return ev
}

// file is the complete credit file: for the subject itself and for staff
// who see everything (administrators, reviewers, auditors). Reads are
// audited.
func (p *Portal) file(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	id := r.PathValue("id")
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+r.URL.EscapedPath(), http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	var aud publish.Audience
	switch {
	case pr.Role == credit.RoleSubject && pr.Account.Subject == id:
		aud = publish.Self
	case pr.Role == credit.RoleAdmin || pr.Role == credit.RoleReviewer:
		aud = publish.Admin
	case pr.Role == credit.RoleAuditor:
		aud = publish.Audit
	default:
		p.audit.Denied(r.Context(), pr, "subject.file.read", id, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_file"] })
		return
	}
	s, err := p.cfg.Store.Subject(r.Context(), id)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	purpose := "portal credit file page"
	if aud == publish.Self {
		purpose = "subject reading its own file"
	}
	if err := p.audit.Read(r.Context(), pr, "subject.file.read", s.ID, purpose, httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	secs, err := p.sections(r.Context(), s, aud, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = v.T["file_title"] + " · " + s.Name
	v.Subject = p.subjectPage(s, v)
	v.Sections = secs
	v.File = true
	subjectTabs(r, v, "/subjects/"+s.ID+"/file")
	p.render(w, r, http.StatusOK, "subject", v, nil)
}

// pageNumber reads ?page=, 1 when absent; ok is false for anything but a
// whole number from 1 to last.
func pageNumber(r *http.Request, last int) (n int, ok bool) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= last
}

// newPager links page n to its neighbours (nil when there is only one
// page): more says whether entries follow it, last is the last page a URL
// may ask for, and url gives a page's address.
func newPager(v *view, n int, more bool, last int, url func(int) string) *pager {
	if n == 1 && !more {
		return nil
	}
	pg := &pager{Label: fmt.Sprintf(v.T["page_label"], n)}
	if n > 1 {
		pg.Prev = url(n - 1)
	}
	if more && n < last {
		pg.Next = url(n + 1)
	}
	return pg
}

// listPageSize is how many entries a public list page shows; maxListPages
// is the last page publish.MaxListOffset lets a page start within.
const (
	listPageSize = 50
	maxListPages = publish.MaxListOffset/listPageSize + 1
)

// pager links a paged page to its neighbours. SearchHint says that entries
// follow the last page a URL may ask for: they are found by search.
type pager struct {
	Label, Prev, Next string
	SearchHint        bool
}

type listRow struct {
	SubjectID, Name string
	Entry           entryView
}

// searchIndex runs a public search on the index and reads each hit's
// registration data for the result list.
func (p *Portal) searchIndex(ctx context.Context, q string, limit int) ([]credit.Subject, error) {
	res := p.cfg.Search.Search(q, limit)
	out := make([]credit.Subject, 0, len(res.Hits))
	for _, h := range res.Hits {
		s, err := p.cfg.Store.Subject(ctx, h.ID)
		if credit.Is(credit.NotFound, err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.Kind != credit.Person {
			out = append(out, *s)
		}
	}
	return out, nil
}
