package api

import (
	"net/http"
	"strconv"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sitecontent"
)

// siteRoutes are the portal's own content: 通知公告 and 政策法规, read by
// everyone, written by administrators (every edit audited, every earlier
// version kept and readable by administrators and auditors).
func (a *API) siteRoutes() []Route {
	p := Prefix
	return []Route{
		{Method: "GET", Path: p + "/site/posts", Roles: everyone, Action: "site.post.list",
			Summary: "The portal's notices and policies (newest version of each, removed ones left out), newest first; ?section=notices|policies", Handler: a.sitePosts},
		{Method: "GET", Path: p + "/site/posts/{id}", Roles: everyone, Action: "site.post.read",
			Summary: "One notice or policy, its newest version, with the body rendered to safe HTML", Handler: a.sitePost},
		{Method: "POST", Path: p + "/site/posts", Roles: roles(credit.RoleAdmin), Audited: true, Action: "site.post.create",
			Summary: "Write a new notice or policy (Markdown)", Handler: a.createSitePost},
		{Method: "PUT", Path: p + "/site/posts/{id}", Roles: roles(credit.RoleAdmin), Audited: true, Action: "site.post.edit",
			Summary: "Write a new version of a post over the version the editor saw (\"version\"); 409 if someone changed it since; removed: true takes it off the portal. Earlier versions are kept", Handler: a.editSitePost},
		{Method: "GET", Path: p + "/site/posts/{id}/versions", Roles: roles(credit.RoleAdmin, credit.RoleAuditor), Action: "site.post.versions",
			Summary: "Every version of a post, oldest first, with who wrote each", Handler: a.sitePostVersions},
	}
}

func (a *API) site(op string) (*sitecontent.Service, error) {
	if a.cfg.SiteContent == nil {
		return nil, credit.Say(op, credit.Unavailable, "本节点未开通网站内容", "this node keeps no site content")
	}
	return a.cfg.SiteContent, nil
}

func (a *API) sitePosts(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	sc, err := a.site("api.sitePosts")
	if err != nil {
		return 0, nil, err
	}
	section := credit.SiteSection(r.URL.Query().Get("section"))
	if section != "" && section != credit.SectionNotices && section != credit.SectionPolicies {
		return 0, nil, credit.Say("api.sitePosts", credit.Invalid, "栏目须为 notices 或 policies", "section must be notices or policies, not %q", clip(string(section), 32))
	}
	ps, err := sc.Posts(r.Context(), section, false, 100)
	if err != nil {
		return 0, nil, err
	}
	if ps == nil {
		ps = []credit.SitePost{}
	}
	return http.StatusOK, map[string]any{"posts": ps}, nil
}

type sitePostView struct {
	credit.SitePost
	HTML   string `json:"html"`
	HTMLEn string `json:"html_en,omitempty"`
}

func (a *API) sitePost(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	sc, err := a.site("api.sitePost")
	if err != nil {
		return 0, nil, err
	}
	p, err := sc.Post(r.Context(), r.PathValue("id"), false)
	if err != nil {
		return 0, nil, err
	}
	v := sitePostView{SitePost: *p, HTML: string(sc.Render(p.Body))}
	if p.BodyEn != "" {
		v.HTMLEn = string(sc.Render(p.BodyEn))
	}
	return http.StatusOK, v, nil
}

func (a *API) createSitePost(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	sc, err := a.site("api.createSitePost")
	if err != nil {
		return 0, nil, err
	}
	var in sitecontent.Input
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	p, err := sc.Create(r.Context(), c.P.Account.Name, in)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "post:" + p.ID
	return http.StatusCreated, p, nil
}

func (a *API) editSitePost(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	sc, err := a.site("api.editSitePost")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		sitecontent.Input
		Version int `json:"version"`
	}
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = "post:" + clip(id, 64)
	if in.Version < 1 {
		return 0, nil, credit.Say("api.editSitePost", credit.Invalid, "须给出所编辑的版本号（version）", "give the version you edited (version), not %s", strconv.Itoa(in.Version))
	}
	p, err := sc.Edit(r.Context(), c.P.Account.Name, id, in.Version, in.Input)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

func (a *API) sitePostVersions(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	sc, err := a.site("api.sitePostVersions")
	if err != nil {
		return 0, nil, err
	}
	vs, err := sc.Versions(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"versions": vs}, nil
}
