package api

import (
	"context"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// Search finds subjects by exact code (or subject ID) and by name
// substring, the code match first. Natural persons are always left out:
// they are found only by exact ID number (api.searchSubjects), never by
// name. The portal uses this too, so that both front doors apply the same
// rule.
func Search(ctx context.Context, st credit.Store, q string, limit int) ([]credit.Subject, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var out []credit.Subject
	seen := map[string]bool{}
	add := func(s credit.Subject) {
		if seen[s.ID] || len(out) >= limit {
			return
		}
		if s.Kind == credit.Person {
			return // never by name (api.searchSubjects)
		}
		seen[s.ID] = true
		out = append(out, s)
	}
	// A USCC is 18 characters; looking it up directly is both faster and
	// what a user pasting a code expects.
	if code := strings.ToUpper(q); len(code) == 18 && !strings.HasPrefix(code, "P") {
		s, err := st.Subject(ctx, code)
		switch {
		case err == nil:
			add(*s)
		case !credit.Is(credit.NotFound, err):
			return nil, credit.Wrap("api.Search", credit.Other, err)
		}
	}
	// Ask for a few more than limit so that skipped persons do not leave
	// the public page short.
	subs, err := st.SubjectsByName(ctx, q, limit+limit/2)
	if err != nil {
		return nil, credit.Wrap("api.Search", credit.Other, err)
	}
	for _, s := range subs {
		add(s)
	}
	return out, nil
}
