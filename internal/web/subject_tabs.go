package web

import (
	"net/http"
	"net/url"
)

// The subject page shows one section at a time: tabs are links (?tab=),
// chosen on the server, so the page works without script and under the
// strict CSP. Each tab carries its count; the sections come in the
// publication engine's order, the serious ones first (lists and penalties
// before licences), after 基本信息.

const (
	tabBasic    = "basic"
	tabDeclared = "self-declared"
)

// subjectTabs builds the tabs of v's sections and keeps only the chosen
// one's entries on the page. An unknown tab shows 基本信息.
func subjectTabs(r *http.Request, v *view, base string) {
	want := r.URL.Query().Get("tab")
	href := func(key string) string {
		q := url.Values{}
		if key != tabBasic {
			q.Set("tab", key)
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	tabs := []tab{{Key: tabBasic, Label: v.T["basic_info"], Count: -1}}
	for _, s := range v.Sections {
		n := len(s.Entries)
		if s.Placeholder {
			n = -1
		}
		tabs = append(tabs, tab{Key: s.Key, Label: s.Label, Count: n})
	}
	if len(v.Declarations) > 0 {
		tabs = append(tabs, tab{Key: tabDeclared, Label: v.T["decl_public_title"], Count: len(v.Declarations)})
	}
	active := tabBasic
	for _, t := range tabs {
		if t.Key == want {
			active = want
		}
	}
	for i := range tabs {
		tabs[i].Href = href(tabs[i].Key)
		tabs[i].Active = tabs[i].Key == active
	}
	v.Tabs, v.Tab = tabs, active
	var keep []sectionView
	for _, s := range v.Sections {
		if s.Key == active {
			keep = append(keep, s)
		}
	}
	v.Sections = keep
	if active != tabDeclared {
		v.Declarations = nil
	}
}
