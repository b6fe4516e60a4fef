package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

var resultLink = regexp.MustCompile(`<li>\s*<a href="/subjects/([^"]+)">(.*?)</a>`)

// TestSearchPage: the portal's search filters by the kind of subject,
// marks the part of the name that matched, and pages through the results
// with every subject on exactly one page.
func TestSearchPage(t *testing.T) {
	e := newEnv(t)
	gen := uscc.NewGenerator(11)
	want := map[string]bool{}
	indiv := map[string]bool{}
	for i := range 45 {
		code := gen.USCC('9', '1', "350100")
		name := fmt.Sprintf("福州闽侯第%d贸易有限公司", i+1)
		if i%5 == 0 {
			code, name = gen.USCC('9', '2', "350100"), fmt.Sprintf("闽侯县第%d号便利店", i+1)
			indiv[code] = true
		}
		if _, err := e.svc.PutOrganisation(t.Context(), records.Organisation{Code: code, Name: name, Status: "存续"}); err != nil {
			t.Fatal(err)
		}
		want[code] = true
	}
	q := url.QueryEscape("闽侯")
	seen := map[string]int{}
	for n := 1; ; n++ {
		r := e.get(fmt.Sprintf("/search?q=%s&page=%d", q, n))
		if r.status != http.StatusOK {
			t.Fatalf("page %d: %d", n, r.status)
		}
		hits := resultLink.FindAllStringSubmatch(string(r.body), -1)
		if len(hits) > 20 {
			t.Fatalf("page %d shows %d subjects", n, len(hits))
		}
		for _, h := range hits {
			seen[h[1]]++
			if !strings.Contains(h[2], "<mark>闽侯</mark>") {
				t.Errorf("the match is not marked: %s", h[2])
			}
		}
		if !strings.Contains(string(r.body), `rel="next"`) {
			if n != 3 {
				t.Errorf("%d pages, want 3", n)
			}
			break
		}
		if n > 5 {
			t.Fatal("the pages do not end")
		}
	}
	for code := range want {
		if seen[code] != 1 {
			t.Errorf("%s is on %d pages", code, seen[code])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d subjects on the pages, %d match", len(seen), len(want))
	}
	// Individual businesses only.
	r := e.get("/search?q=" + q + "&kind=indiv")
	hits := resultLink.FindAllStringSubmatch(string(r.body), -1)
	if len(hits) != len(indiv) {
		t.Errorf("kind=indiv: %d results, want %d", len(hits), len(indiv))
	}
	for _, h := range hits {
		if !indiv[h[1]] {
			t.Errorf("kind=indiv shows %s", h[1])
		}
	}
	if !strings.Contains(string(r.body), `aria-current="page">个体工商户`) {
		t.Error("the kind filter does not show which kind is chosen")
	}
	if r := e.get("/search?q=" + q + "&page=9"); r.status != http.StatusNotFound {
		t.Errorf("a page past the results: %d", r.status)
	}
}
