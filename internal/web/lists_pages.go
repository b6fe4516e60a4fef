package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/uscc"
)

// The public list pages: one per kind of list (失信名单, 红名单) and one per
// list type (重大税收违法失信主体 ...), filtered by the deciding
// department's region, the department, the date of listing and a text in
// the name or decision document, and an entry's own page with its 事由,
// 依据, 文书, 期限 and 移出条件. Which entries are shown and how is the
// publication engine's (publish.Engine.ListWhere and EntryOf) over the
// sanction service's entries: the same membership the subject page and
// the hit check give.

// listsPage is a list page's data.
type listsPage struct {
	Kind     string // black or red
	Type     *listTypeView
	Types    []listTab
	Regions  []option
	Depts    []option
	From     string
	To       string
	Text     string
	Filtered bool
	Rows     []listEntryRow
	// Entry is the entry page's entry.
	Entry *entryDetail
}

// listTypeView is what a list type page says about the type.
type listTypeView struct {
	Code, Name, Basis, Period, Exit, Criteria string
}

type listEntryRow struct {
	SubjectID, Name, List, ListName, EntryID, Doc, Dept, Since, Until string
	Marks                                                             []string
}

// entryDetail is an entry's own page.
type entryDetail struct {
	listEntryRow
	Grounds, Basis, Period, Exit, Repairable string
}

func (p *Portal) listPageRoutes() {
	p.mux.HandleFunc("GET /lists/{kind}/{entry}", p.listEntry)
}

// listKindOf resolves a list page's name: a kind of list (all its types)
// or one list type's code.
func (p *Portal) listKindOf(code string) (kind string, lt *catalog.ListType, ok bool) {
	if slices.Contains(publish.ListKinds, catalog.ListKind(code)) {
		return code, nil, true
	}
	lt, err := p.cfg.Catalog.List(code)
	if err != nil || !slices.Contains(publish.ListKinds, lt.Kind) {
		return "", nil, false
	}
	return string(lt.Kind), lt, true
}

func (p *Portal) typeView(lt *catalog.ListType, v *view) *listTypeView {
	tv := &listTypeView{Code: lt.Code, Name: v.N.List(lt.Code), Exit: lt.Exit.Text, Criteria: lt.Criteria.Text}
	var bs []string
	for _, b := range lt.Basis {
		bs = append(bs, b.String())
	}
	tv.Basis = strings.Join(bs, "；")
	tv.Period = v.T["lists_open"]
	if lt.PeriodMonths > 0 {
		tv.Period = fmt.Sprintf("%d%s", lt.PeriodMonths, v.T["lists_months"])
	}
	return tv
}

// list is a published list page: a kind of list or one list type, with
// its filters.
func (p *Portal) list(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	code := r.PathValue("kind")
	kind, lt, ok := p.listKindOf(code)
	n, okPage := pageNumber(r, maxListPages)
	if !ok || !okPage {
		p.fail(w, r, v, credit.E("web.list", credit.NotFound, "no page %q of list %s", r.URL.Query().Get("page"), code))
		return
	}
	qs := r.URL.Query()
	q := publish.ListQuery{Kind: kind, Dept: qs.Get("dept"), Region: qs.Get("region"), Text: clipRunes(strings.TrimSpace(qs.Get("q")), 50)}
	if lt != nil {
		q.List = lt.Code
	}
	lp := &listsPage{Kind: kind, Text: q.Text}
	if d, err := time.ParseInLocation(time.DateOnly, qs.Get("from"), chinatime.Location); err == nil {
		q.From, lp.From = d, qs.Get("from")
	}
	if d, err := time.ParseInLocation(time.DateOnly, qs.Get("to"), chinatime.Location); err == nil {
		q.To, lp.To = d.AddDate(0, 0, 1), qs.Get("to") // the last day is included
	}
	lp.Filtered = q.Dept != "" || q.Region != "" || q.Text != "" || !q.From.IsZero() || !q.To.IsZero()
	page, err := p.cfg.Publish.ListWhere(r.Context(), q, publish.Public, p.cfg.Marks, (n-1)*listPageSize, listPageSize)
	if err == nil && n > 1 && len(page.Entries) == 0 {
		err = credit.E("web.list", credit.NotFound, "list %s has no page %d", code, n)
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Title = v.T["list_"+kind+"_title"]
	if lt != nil {
		lp.Type = p.typeView(lt, v)
		v.Title = lp.Type.Name
	}
	// The types of the kind, as tabs; the filters' choices are the
	// departments that may decide them and their regions.
	lp.Types = append(lp.Types, listTab{Code: kind, Name: v.T["lists_all"], Active: lt == nil})
	units := map[string]bool{}
	for _, t := range p.cfg.Catalog.Lists {
		if string(t.Kind) != kind {
			continue
		}
		lp.Types = append(lp.Types, listTab{Code: t.Code, Name: v.N.List(t.Code), Active: lt != nil && lt.Code == t.Code})
		if lt == nil || lt.Code == t.Code {
			units[t.DecidingUnit] = true
		}
	}
	regions := map[string]bool{}
	for _, d := range p.cfg.Catalog.Departments {
		if !units[d.Kind] {
			continue
		}
		lp.Depts = append(lp.Depts, option{Code: d.Code, Name: v.N.Dept(d.Code), Selected: d.Code == q.Dept})
		if d.Region != "" {
			regions[d.Region] = true
		}
	}
	for r := range regions {
		name := uscc.RegionName(r)
		if name == "" {
			name = r
		}
		lp.Regions = append(lp.Regions, option{Code: r, Name: name, Selected: r == q.Region})
	}
	sort.Slice(lp.Regions, func(i, j int) bool { return lp.Regions[i].Code < lp.Regions[j].Code })
	for _, e := range page.Entries {
		lp.Rows = append(lp.Rows, p.entryRow(e, v))
	}
	v.LP = lp
	base := url.Values{}
	for _, k := range []string{"dept", "region", "from", "to", "q"} {
		if s := qs.Get(k); s != "" {
			base.Set(k, s)
		}
	}
	v.Pager = newPager(v, n, page.More, maxListPages, func(n int) string {
		u := base
		u.Set("page", fmt.Sprint(n))
		return "/lists/" + code + "?" + u.Encode()
	})
	if v.Pager != nil {
		v.Pager.SearchHint = page.More && n == maxListPages
	}
	p.render(w, r, http.StatusOK, "lists", v, nil)
}

// entryRow is a list page's row for a published entry.
func (p *Portal) entryRow(e publish.ListEntry, v *view) listEntryRow {
	ev := p.entry(e.Decision, v)
	row := listEntryRow{SubjectID: e.SubjectID, Name: e.Name, EntryID: e.Decision.RecordID, Dept: ev.Source, Since: ev.From, Until: ev.Until, Marks: ev.Marks}
	if le := e.Decision.Entry; le != nil {
		row.List, row.ListName, row.Doc = le.List, v.N.List(le.List), le.DocNo
	}
	return row
}

// listEntry is one published entry's page.
func (p *Portal) listEntry(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	code, id := r.PathValue("kind"), r.PathValue("entry")
	kind, want, ok := p.listKindOf(code)
	if !ok || p.cfg.Sanction == nil {
		p.fail(w, r, v, credit.E("web.listEntry", credit.NotFound, "no list %s", code))
		return
	}
	e, err := p.cfg.Sanction.Entry(r.Context(), id)
	var le publish.ListEntry
	if err == nil {
		le, err = p.cfg.Publish.EntryOf(r.Context(), e.SubjectID, e.ID, publish.Public, p.cfg.Marks)
	}
	if err == nil && le.Decision.Entry != nil {
		// The entry belongs to the page's list (or kind of list).
		lt, lerr := p.cfg.Catalog.List(le.Decision.Entry.List)
		if lerr != nil || string(lt.Kind) != kind || (want != nil && want.Code != lt.Code) {
			err = credit.E("web.listEntry", credit.NotFound, "entry %s is not on list %s", id, code)
		}
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	lt, _ := p.cfg.Catalog.List(le.Decision.Entry.List)
	tv := p.typeView(lt, v)
	d := &entryDetail{listEntryRow: p.entryRow(le, v), Grounds: le.Decision.Entry.Grounds, Basis: tv.Basis, Period: tv.Period, Exit: tv.Exit}
	if e.Detail.Exit != "" {
		d.Exit = e.Detail.Exit // as the decision stated it
	}
	if len(e.Detail.Basis) > 0 {
		d.Basis = strings.Join(e.Detail.Basis, "；")
	}
	if lt.Exit.Repairable {
		d.Repairable = v.T["entry_repairable"]
	}
	v.Title = d.ListName + " · " + d.Name
	v.LP = &listsPage{Kind: kind, Type: tv, Entry: d}
	p.render(w, r, http.StatusOK, "list_entry", v, nil)
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// DeptName is a department's name as a record's field states it (决定机关
// 福州市市场监督管理局), in the page's language: on an English page the
// catalogue's English name of the department of that Chinese name, any
// other text as it is.
func (n names) DeptName(s string) string {
	if !n.en || n.cat == nil || s == "" {
		return s
	}
	for _, d := range n.cat.Departments {
		if d.Name == s && d.NameEn != "" {
			return d.NameEn
		}
	}
	return s
}
