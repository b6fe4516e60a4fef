package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
)

// audienceOf is the publication audience of a caller: what the engine
// lets the role see. Reviewers and auditors work on the whole file
// (objections, repairs, audits); departments read as government sharing;
// institutions as authorised queries; a subject account its own file.
func audienceOf(p auth.Principal) publish.Audience {
	switch p.Role {
	case credit.RoleAdmin, credit.RoleReviewer:
		return publish.Admin
	case credit.RoleAuditor:
		return publish.Audit
	case credit.RoleDept, credit.RoleBusiness:
		return publish.Gov
	case credit.RoleInstitution:
		return publish.Institution
	case credit.RoleSubject:
		return publish.Self
	}
	return publish.Public
}

// searchIndex answers a public search from the index (organisations
// only), with each hit's registration data read from the store.
func (a *API) searchIndex(ctx context.Context, q string) ([]subjectView, error) {
	res := a.cfg.Search.Search(q, searchLimit)
	out := make([]subjectView, 0, len(res.Hits))
	for _, h := range res.Hits {
		s, err := a.cfg.Store.Subject(ctx, h.ID)
		if credit.Is(credit.NotFound, err) {
			continue // removed since the index last looked
		}
		if err != nil {
			return nil, err
		}
		if s.Kind != credit.Person {
			out = append(out, viewSubject(s, true))
		}
	}
	return out, nil
}

// searchHits is GET /search: the index's ranked hits with how they matched.
func (a *API) searchHits(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.searchHits"
	if a.cfg.Search == nil {
		return 0, nil, credit.E(op, credit.Unavailable, "the search index is not loaded on this node")
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "请在 q 中填写代码或名称中的至少一个字", "give a code or at least one character of a name in q")
	}
	if utf8.RuneCountInString(q) > 100 {
		return 0, nil, credit.Say(op, credit.Invalid, "q 超过100个字符", "q is longer than 100 characters")
	}
	limit, err := queryInt(r, op, "limit", searchLimit, 1, searchLimit)
	if err != nil {
		return 0, nil, err
	}
	res := a.cfg.Search.Search(q, limit)
	res.Query = pii.RedactIDs(res.Query)
	return http.StatusOK, res, nil
}

// publicFile is GET /subjects/{id}/public: what the portal's subject page
// shows, decided by the publication engine for the public.
func (a *API) publicFile(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	s, err := a.cfg.Store.Subject(r.Context(), id)
	if err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	if s.Kind == credit.Person {
		return 0, nil, notFoundSubject(id, nil)
	}
	states, err := a.cfg.Records.File(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	secs, err := a.cfg.Publish.SectionsOf(r.Context(), states, s, publish.Public, a.cfg.Marks)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{
		"subject": viewSubject(s, false), "audience": publish.Public, "as_of": a.now(),
		"sections": secs, "empty_text": "查询期内无相关信息",
	}, nil
}

// publishedList is GET /lists/{kind}: a published black or red list.
func (a *API) publishedList(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.publishedList"
	kind := r.PathValue("kind")
	offset, err := queryInt(r, op, "offset", 0, 0, publish.MaxListOffset)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryInt(r, op, "limit", publish.MaxListPage, 1, publish.MaxListPage)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.cfg.Publish.List(r.Context(), kind, publish.Public, a.cfg.Marks, offset, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"kind": kind, "as_of": a.now(), "entries": page.Entries,
		"offset": page.Offset, "limit": limit, "more": page.More}, nil
}

// queryInt reads the whole-number query parameter name, def when absent,
// and refuses a value outside lo..hi with the range it takes.
func queryInt(r *http.Request, op, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, credit.Say(op, credit.Invalid, "%s 须为%d至%d之间的整数", "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}
