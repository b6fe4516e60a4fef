package web

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sitecontent"
)

// The portal's own content: 通知公告 and 政策法规 on the home page and a
// page per post, rendered from Markdown on the server
// (sitecontent.Service.Render: no raw HTML, no script links); and the
// administrator's console page that writes them, every edit a new version
// (the earlier ones kept) and audited.

// postView is a post as a page shows it.
type postView struct {
	ID, Section, SectionCode, Title, Date, Editor, At string
	Version                                           int
	Removed                                           bool
	HTML                                              template.HTML
	// Raw fields for the console's edit form.
	TitleZh, TitleEn, Body, BodyEn, DateISO string
}

// sitePage is the post page's and the console page's data.
type sitePage struct {
	Post     *postView
	Posts    []postView
	Versions []postView
	Edit     *postView
	Error    string
}

func (p *Portal) sitePageRoutes() {
	if p.cfg.SiteContent == nil {
		return
	}
	p.mux.HandleFunc("GET /posts/{id}", p.post)
	p.mux.HandleFunc("GET /console/site", p.siteConsole)
	p.mux.HandleFunc("POST /console/site", p.siteSave)
}

func (p *Portal) postView(sp *credit.SitePost, v *view, render bool) postView {
	title, body := sitecontent.Text(sp, v.Lang)
	pv := postView{ID: sp.ID, Section: v.T["site_"+string(sp.Section)], SectionCode: string(sp.Section), Title: title, Version: sp.Version, Removed: sp.Removed,
		Date: sp.Date.UTC().Format(time.DateOnly), Editor: sp.Editor, At: sp.At.In(chinatime.Location).Format("2006-01-02 15:04"),
		TitleZh: sp.Title, TitleEn: sp.TitleEn, Body: sp.Body, BodyEn: sp.BodyEn, DateISO: sp.Date.UTC().Format(time.DateOnly)}
	if render {
		pv.HTML = p.cfg.SiteContent.Render(body)
	}
	return pv
}

// homePosts are the newest notices and policies for the home page.
func (p *Portal) homePosts(r *http.Request, v *view) (notices, policies []postView, err error) {
	if p.cfg.SiteContent == nil {
		return nil, nil, nil
	}
	for _, sec := range []credit.SiteSection{credit.SectionNotices, credit.SectionPolicies} {
		ps, err := p.cfg.SiteContent.Posts(r.Context(), sec, false, 6)
		if err != nil {
			return nil, nil, err
		}
		for i := range ps {
			pv := p.postView(&ps[i], v, false)
			if sec == credit.SectionNotices {
				notices = append(notices, pv)
			} else {
				policies = append(policies, pv)
			}
		}
	}
	return notices, policies, nil
}

func (p *Portal) post(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, p.principal(r))
	sp, err := p.cfg.SiteContent.Post(r.Context(), r.PathValue("id"), false)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	pv := p.postView(sp, v, true)
	p.render(w, r, http.StatusOK, "post", v, func(v *view) { v.Title, v.SP = pv.Title, &sitePage{Post: &pv} })
}

// adminOnly is the signed-in administrator, or a sign-in redirect or a
// refusal (audited) answered already.
func (p *Portal) adminOnly(w http.ResponseWriter, r *http.Request, action string) (auth.Principal, bool) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole%2Fsite", http.StatusSeeOther)
		return pr, false
	}
	if pr.Role != credit.RoleAdmin {
		p.audit.Denied(r.Context(), pr, action, "site", "", remote(r))
		v := p.newView(w, r, pr)
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["site_admin_only"] })
		return pr, false
	}
	return pr, true
}

// siteConsole lists every post (removed ones too) with an edit form, and
// a post's versions when ?post= names it.
func (p *Portal) siteConsole(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.adminOnly(w, r, "site.post.list")
	if !ok {
		return
	}
	v := p.newView(w, r, pr)
	sp, err := p.consoleData(r, v, r.URL.Query().Get("post"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, http.StatusOK, "site_console", v, func(v *view) { v.Title, v.SP = v.T["site_console"], sp })
}

func (p *Portal) consoleData(r *http.Request, v *view, id string) (*sitePage, error) {
	ps, err := p.cfg.SiteContent.Posts(r.Context(), "", true, 200)
	if err != nil {
		return nil, err
	}
	sp := &sitePage{}
	for i := range ps {
		sp.Posts = append(sp.Posts, p.postView(&ps[i], v, false))
	}
	if id != "" {
		vs, err := p.cfg.SiteContent.Versions(r.Context(), id)
		if err != nil {
			return nil, err
		}
		for i := len(vs) - 1; i >= 0; i-- {
			sp.Versions = append(sp.Versions, p.postView(&vs[i], v, false))
		}
		sp.Edit = &sp.Versions[0]
	}
	return sp, nil
}

// siteSave writes a new post, or a new version of one (version = the one
// the form showed), and audits it.
func (p *Portal) siteSave(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.adminOnly(w, r, "site.post.edit")
	if !ok {
		return
	}
	if !parseForm(w, r, 2*sitecontent.MaxBody+64<<10) {
		return
	}
	f := r.PostForm
	in := sitecontent.Input{Section: credit.SiteSection(f.Get("section")), Title: f.Get("title"), TitleEn: f.Get("title_en"),
		Body: f.Get("body"), BodyEn: f.Get("body_en"), Date: f.Get("date"), Removed: f.Get("removed") == "on"}
	id := f.Get("id")
	var (
		sp     *credit.SitePost
		err    error
		action = "site.post.create"
	)
	if id == "" {
		sp, err = p.cfg.SiteContent.Create(r.Context(), pr.Account.Name, in)
	} else {
		action = "site.post.edit"
		prev, _ := strconv.Atoi(f.Get("version"))
		sp, err = p.cfg.SiteContent.Edit(r.Context(), pr.Account.Name, id, prev, in)
	}
	if err != nil {
		v := p.newView(w, r, pr)
		if !credit.Is(credit.Invalid, err) && !credit.Is(credit.Conflict, err) {
			p.fail(w, r, v, err)
			return
		}
		data, derr := p.consoleData(r, v, id)
		if derr != nil {
			p.fail(w, r, v, derr)
			return
		}
		data.Error = says(v, err)
		status := http.StatusBadRequest
		if credit.Is(credit.Conflict, err) {
			status = http.StatusConflict
		}
		p.render(w, r, status, "site_console", v, func(v *view) { v.Title, v.SP = v.T["site_console"], data })
		return
	}
	p.audited(r, pr, action, "post:"+sp.ID)
	http.Redirect(w, r, "/console/site?post="+sp.ID, http.StatusSeeOther)
}
