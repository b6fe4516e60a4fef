package server_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
)

var listRowRE = regexp.MustCompile(`<tr data-subject="([^"]+)" data-entry="([^"]+)" data-list="([^"]+)">`)

// portalListsAgree reads the portal's HTML list pages, one per list type,
// every page, and each entry's own page and its subject's page, and checks
// them against published (subject → list codes, from the published lists'
// API, which TestListsAgreeEverywhere compares with the hit check): the
// same subjects on the same lists everywhere.
func portalListsAgree(t *testing.T, e *env, published map[string][]string) {
	t.Helper()
	shown := map[string][]string{}   // subject → lists, from the list type pages
	entries := map[string][]string{} // subject → entry IDs
	entryList := map[string]string{} // entry → list
	for _, lt := range e.cat.Lists {
		if lt.Kind != catalog.ListBlack && lt.Kind != catalog.ListRed {
			continue
		}
		for n := 1; ; n++ {
			r := e.get(fmt.Sprintf("/lists/%s?page=%d", lt.Code, n))
			if r.status == http.StatusNotFound && n > 1 {
				break
			}
			if r.status != http.StatusOK {
				t.Fatalf("list page %s %d: %d", lt.Code, n, r.status)
			}
			for _, m := range listRowRE.FindAllStringSubmatch(string(r.body), -1) {
				subj, entry, list := m[1], m[2], m[3]
				if list != lt.Code {
					t.Errorf("the page of list %s shows an entry of %s", lt.Code, list)
				}
				shown[subj] = append(shown[subj], list)
				entries[subj] = append(entries[subj], entry)
				entryList[entry] = list
			}
			if !strings.Contains(string(r.body), `rel="next"`) {
				break
			}
		}
	}
	for subj, lists := range published {
		if !sameSet(dedupe(slices.Clone(lists)), dedupe(slices.Clone(shown[subj]))) {
			t.Errorf("%s: the list type pages show it on %v, the published lists on %v", subj, shown[subj], lists)
		}
	}
	for subj, lists := range shown {
		if len(published[subj]) == 0 {
			t.Errorf("%s: on the list type pages (%v) but on no published list", subj, lists)
		}
	}
	// Each entry's page, and the subject's page holding it under its tab.
	checked := 0
	for subj, ids := range entries {
		for _, id := range ids {
			list := entryList[id]
			r := e.get("/lists/" + list + "/" + id)
			if r.status != http.StatusOK || !strings.Contains(string(r.body), `data-subject="`+html.EscapeString(subj)+`"`) {
				t.Errorf("entry %s of %s on %s: %d", id, subj, list, r.status)
				continue
			}
			lt, _ := e.cat.List(list)
			tab := "blacklist"
			if lt.Kind == catalog.ListRed {
				tab = "honesty"
			}
			page := e.get("/subjects/" + subj + "?tab=" + tab)
			if page.status != http.StatusOK || !strings.Contains(string(page.body), `id="rec-`+id+`"`) {
				t.Errorf("the page of %s (tab %s) lacks entry %s of %s: %d", subj, tab, id, list, page.status)
			}
			// An entry is not found under another list's page.
			for _, other := range e.cat.Lists {
				if other.Code != list && (other.Kind == catalog.ListBlack || other.Kind == catalog.ListRed) {
					if r := e.get("/lists/" + other.Code + "/" + id); r.status != http.StatusNotFound {
						t.Errorf("entry %s of %s answers %d under list %s", id, list, r.status, other.Code)
					}
					break
				}
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d entries compared: the data is too thin", checked)
	}
}
