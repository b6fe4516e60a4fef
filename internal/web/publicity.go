package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
)

// The 双公示 search: 行政许可 and 行政处罚 by document number, department
// or decision date (国办发〔2019〕35号 (六): published within seven
// working days of the decision). The store finds the original facts; each
// chain's current state is decided by the publication engine for the
// public, so the page shows exactly what may be published, masked as it
// must be, and nothing of a revoked, repaired or expired record.

// publicityItems are the items a 双公示 search covers, by its kind.
var publicityItems = map[string][]string{
	"licence": {"admin_licence"},
	"penalty": {"admin_penalty"},
}

const publicityPageSize = 20

// publicityPage is the search page's data.
type publicityPage struct {
	Kind, Doc, From, To string
	Kinds               []option
	Depts               []option
	Searched            bool
	Rows                []publicityRow
}

type publicityRow struct {
	SubjectID, Name string
	Entry           entryView
}

func (p *Portal) publicity(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	v.Title = v.T["pub_title"]
	qs := r.URL.Query()
	kind := qs.Get("kind")
	if _, ok := publicityItems[kind]; !ok {
		kind = "penalty"
	}
	n, ok := pageNumber(r, publish.MaxListOffset/publicityPageSize)
	if !ok {
		p.fail(w, r, v, credit.E("web.publicity", credit.NotFound, "no page %q", qs.Get("page")))
		return
	}
	pp := &publicityPage{Kind: kind, Doc: clipRunes(strings.TrimSpace(qs.Get("doc")), 60)}
	q := credit.RecordQuery{Items: publicityItems[kind], Dept: qs.Get("dept"), DocNo: pp.Doc,
		Offset: (n - 1) * publicityPageSize, Limit: publicityPageSize + 1}
	if d, err := time.ParseInLocation(time.DateOnly, qs.Get("from"), chinatime.Location); err == nil {
		q.From, pp.From = d, qs.Get("from")
	}
	if d, err := time.ParseInLocation(time.DateOnly, qs.Get("to"), chinatime.Location); err == nil {
		q.To, pp.To = d.AddDate(0, 0, 1), qs.Get("to")
	}
	for _, k := range []string{"penalty", "licence"} {
		pp.Kinds = append(pp.Kinds, option{Code: k, Name: v.T["pub_kind_"+k], Selected: k == kind})
	}
	for _, d := range p.cfg.Catalog.Departments {
		pp.Depts = append(pp.Depts, option{Code: d.Code, Name: v.N.Dept(d.Code), Selected: d.Code == q.Dept})
	}
	v.Pub = pp
	pp.Searched = qs.Has("kind")
	if !pp.Searched {
		p.render(w, r, http.StatusOK, "publicity", v, nil)
		return
	}
	facts, err := p.cfg.Store.FindRecords(r.Context(), q)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	more := len(facts) > publicityPageSize
	if more {
		facts = facts[:publicityPageSize]
	}
	if pp.Rows, err = p.publicRows(r.Context(), facts, v); err != nil {
		p.fail(w, r, v, err)
		return
	}
	base := url.Values{}
	for _, k := range []string{"kind", "dept", "doc", "from", "to"} {
		if s := qs.Get(k); s != "" {
			base.Set(k, s)
		}
	}
	v.Pager = newPager(v, n, more, publish.MaxListOffset/publicityPageSize, func(n int) string {
		u := base
		u.Set("page", fmt.Sprint(n))
		return "/publicity?" + u.Encode()
	})
	p.render(w, r, http.StatusOK, "publicity", v, nil)
}

// publicRows decides each found fact's chain for the public: its
// subject's file gives the chain's current state (a correction's content,
// a revocation), the engine what is shown of it.
func (p *Portal) publicRows(ctx context.Context, facts []credit.Record, v *view) ([]publicityRow, error) {
	type file struct {
		subj   *credit.Subject
		states map[string]credit.State
	}
	files := map[string]*file{}
	var origins []string
	for _, f := range facts {
		if files[f.SubjectID] != nil {
			origins = append(origins, f.ID)
			continue
		}
		s, err := p.cfg.Store.Subject(ctx, f.SubjectID)
		if credit.Is(credit.NotFound, err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		states, err := p.cfg.Records.File(ctx, f.SubjectID)
		if err != nil {
			return nil, err
		}
		fl := &file{subj: s, states: map[string]credit.State{}}
		for _, st := range states {
			fl.states[st.Origin] = st
		}
		files[f.SubjectID] = fl
		origins = append(origins, f.ID)
	}
	marks, err := p.cfg.Marks.Marks(ctx, origins)
	if err != nil {
		return nil, err
	}
	var out []publicityRow
	for _, f := range facts {
		fl := files[f.SubjectID]
		if fl == nil {
			continue
		}
		st, ok := fl.states[f.ID]
		if !ok {
			continue
		}
		d := p.cfg.Publish.Decide(st, fl.subj, publish.Public, marks[f.ID])
		if !d.Visible {
			continue
		}
		out = append(out, publicityRow{SubjectID: fl.subj.ID, Name: fl.subj.Name, Entry: p.entry(d, v)})
	}
	return out, nil
}
