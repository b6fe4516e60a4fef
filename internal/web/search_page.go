package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// The search page: organisations and individual businesses by code or
// any part of a current or former name, filtered by the kind of subject,
// the matched part of the name marked, in pages. Natural persons are
// never found by the public search.

// searchPageSize is how many subjects a page shows; searchLimit bounds
// how far the pages go (the index ranks; a search that needs more is too
// broad and is narrowed by more of the name).
const (
	searchPageSize = 20
	searchLimit    = 200
	searchPages    = searchLimit / searchPageSize
)

type searchPage struct {
	Kind  string
	Kinds []option
	Hits  []searchHit
	Count string
}

// searchHit is a result with its name cut around the part that matched.
type searchHit struct {
	credit.Subject
	Pre, Match, Post string
	// Former is the former name that matched, when the current one did
	// not.
	Former string
}

func (p *Portal) search(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	v.Title = v.T["search_title"]
	qs := r.URL.Query()
	q := strings.TrimSpace(qs.Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	v.Query = pii.RedactIDs(q) // echoed in the search box: never repeat an ID number
	kind := qs.Get("kind")
	if kind != string(credit.Organisation) && kind != string(credit.IndividualBusiness) {
		kind = ""
	}
	n, ok := pageNumber(r, searchPages)
	if !ok {
		p.fail(w, r, v, credit.E("web.search", credit.NotFound, "no page %q", qs.Get("page")))
		return
	}
	sp := &searchPage{Kind: kind, Kinds: []option{
		{Code: "", Name: v.T["search_kind_all"], Selected: kind == ""},
		{Code: string(credit.Organisation), Name: v.T["kind_org"], Selected: kind == string(credit.Organisation)},
		{Code: string(credit.IndividualBusiness), Name: v.T["kind_indiv"], Selected: kind == string(credit.IndividualBusiness)},
	}}
	v.Search = sp
	if q == "" {
		p.render(w, r, http.StatusOK, "search", v, nil)
		return
	}
	// The portal is a public page whoever is signed in: no persons.
	var (
		subs []credit.Subject
		err  error
	)
	if p.cfg.Search != nil {
		subs, err = p.searchIndex(r.Context(), q, searchLimit)
	} else {
		subs, err = api.Search(r.Context(), p.cfg.Store, q, searchLimit)
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var kept []credit.Subject
	for _, s := range subs {
		if kind == "" || string(s.Kind) == kind {
			kept = append(kept, s)
		}
	}
	from := (n - 1) * searchPageSize
	if from >= len(kept) && n > 1 {
		p.fail(w, r, v, credit.E("web.search", credit.NotFound, "no page %d", n))
		return
	}
	to := min(from+searchPageSize, len(kept))
	for _, s := range kept[from:to] {
		sp.Hits = append(sp.Hits, highlight(s, q))
	}
	v.Results = kept[from:to]
	sp.Count = fmt.Sprintf(v.T["search_count"], len(kept))
	if len(kept) >= searchLimit {
		sp.Count = fmt.Sprintf(v.T["search_count_more"], searchLimit)
	}
	base := url.Values{"q": {v.Query}}
	if kind != "" {
		base.Set("kind", kind)
	}
	v.Pager = newPager(v, n, to < len(kept), searchPages, func(n int) string {
		u := base
		u.Set("page", fmt.Sprint(n))
		return "/search?" + u.Encode()
	})
	p.render(w, r, http.StatusOK, "search", v, nil)
}

// highlight cuts s's name around q (case-insensitive for Latin letters),
// or names the former name q is in.
func highlight(s credit.Subject, q string) searchHit {
	h := searchHit{Subject: s, Pre: s.Name}
	if i, j := find(s.Name, q); i >= 0 {
		h.Pre, h.Match, h.Post = s.Name[:i], s.Name[i:j], s.Name[j:]
		return h
	}
	for _, f := range s.FormerNames {
		if i, _ := find(f, q); i >= 0 {
			h.Former = f
			break
		}
	}
	return h
}

// find is the byte range of q in s, ignoring the case of Latin letters;
// -1 when absent.
func find(s, q string) (int, int) {
	if q == "" {
		return -1, -1
	}
	if i := strings.Index(s, q); i >= 0 {
		return i, i + len(q)
	}
	ls, lq := strings.ToLower(s), strings.ToLower(q)
	if len(ls) == len(s) && len(lq) == len(q) {
		if i := strings.Index(ls, lq); i >= 0 {
			return i, i + len(q)
		}
	}
	return -1, -1
}
