// Package sitecontent is the portal's own content: the 通知公告 (notices)
// and 政策法规 (policies) an administrator writes in Markdown. Every edit
// is a new version (credit.SiteContentStore keeps them all); the portal
// renders the newest one to HTML on the server, without raw HTML and
// without script links, so a post can never break the page's strict
// Content-Security-Policy or carry a script.
package sitecontent

import (
	"bytes"
	"context"
	"html/template"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/xinyong/xinyong/internal/credit"
)

// Limits of a post.
const (
	MaxTitle = 200       // runes
	MaxBody  = 100 << 10 // bytes of Markdown, per language
)

// Service writes and reads the site's posts.
type Service struct {
	store credit.SiteContentStore
	now   func() time.Time
	md    goldmark.Markdown
}

// New is the service over store; now gives the time of an edit.
func New(store credit.SiteContentStore, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	// goldmark's defaults are the safe ones: raw HTML is left out
	// ("<!-- raw HTML omitted -->") and javascript:, vbscript:, file: and
	// data: links (but images) are dropped. Tables and strikethrough are
	// common in notices.
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))
	return &Service{store: store, now: now, md: md}
}

// Input is a post as an administrator writes it.
type Input struct {
	Section credit.SiteSection `json:"section"`
	Title   string             `json:"title"`
	TitleEn string             `json:"title_en,omitempty"`
	Body    string             `json:"body"`
	BodyEn  string             `json:"body_en,omitempty"`
	// Date is the post's date (YYYY-MM-DD); empty: today.
	Date string `json:"date,omitempty"`
	// Removed takes the post off the portal (a version like any other).
	Removed bool `json:"removed,omitempty"`
}

func (s *Service) check(op string, in Input) (time.Time, error) {
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case !slices.Contains(credit.SiteSections, in.Section):
		return time.Time{}, credit.Say(op, credit.Invalid, "栏目须为 notices（通知公告）或 policies（政策法规），而非“%s”", "the section must be notices or policies, not %q", string(in.Section))
	case in.Title == "":
		return time.Time{}, credit.Say(op, credit.Invalid, "标题不能为空", "the title is empty")
	case utf8.RuneCountInString(in.Title) > MaxTitle || utf8.RuneCountInString(in.TitleEn) > MaxTitle:
		return time.Time{}, credit.Say(op, credit.Invalid, "标题不能超过%d字", "a title may not exceed %d characters", MaxTitle)
	case len(in.Body) > MaxBody || len(in.BodyEn) > MaxBody:
		return time.Time{}, credit.Say(op, credit.Invalid, "正文不能超过%d字节", "a body may not exceed %d bytes", MaxBody)
	case !utf8.ValidString(in.Body + in.BodyEn + in.Title + in.TitleEn):
		return time.Time{}, credit.Say(op, credit.Invalid, "内容不是有效的UTF-8文本", "the content is not valid UTF-8")
	}
	if in.Date == "" {
		t := s.now()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	d, err := time.Parse(time.DateOnly, in.Date)
	if err != nil {
		return time.Time{}, credit.Say(op, credit.Invalid, "日期“%s”不是YYYY-MM-DD格式", "date %q is not YYYY-MM-DD", in.Date)
	}
	return d, nil
}

// Create writes a new post; the editor is the account name.
func (s *Service) Create(ctx context.Context, editor string, in Input) (*credit.SitePost, error) {
	d, err := s.check("sitecontent.Create", in)
	if err != nil {
		return nil, err
	}
	p := post(uuid.NewString(), editor, in, d, s.now())
	if err := s.store.PutSitePost(ctx, p, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// Edit writes a new version of post id over version prev, the one the
// editor saw: Conflict if someone changed it since. The earlier versions
// stay.
func (s *Service) Edit(ctx context.Context, editor, id string, prev int, in Input) (*credit.SitePost, error) {
	d, err := s.check("sitecontent.Edit", in)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.SitePost(ctx, id); err != nil {
		return nil, err
	}
	p := post(id, editor, in, d, s.now())
	if err := s.store.PutSitePost(ctx, p, prev); err != nil {
		if credit.Is(credit.Conflict, err) {
			return nil, credit.Say("sitecontent.Edit", credit.Conflict, "该内容已被他人修改（您编辑的是第%d版），请重新打开后再编辑", "someone else changed the post since version %d, the one you edited: reload it and edit again", prev)
		}
		return nil, err
	}
	return p, nil
}

func post(id, editor string, in Input, d, at time.Time) *credit.SitePost {
	return &credit.SitePost{ID: id, Section: in.Section, Title: strings.TrimSpace(in.Title), TitleEn: strings.TrimSpace(in.TitleEn),
		Body: in.Body, BodyEn: in.BodyEn, Date: d, Removed: in.Removed, Editor: editor, At: at}
}

// Posts are the newest versions of a section's posts (every section when
// ""), removed ones only when withRemoved.
func (s *Service) Posts(ctx context.Context, section credit.SiteSection, withRemoved bool, limit int) ([]credit.SitePost, error) {
	return s.store.SitePosts(ctx, section, withRemoved, limit)
}

// Post is a post's newest version; NotFound when removed and not
// withRemoved.
func (s *Service) Post(ctx context.Context, id string, withRemoved bool) (*credit.SitePost, error) {
	p, err := s.store.SitePost(ctx, id)
	if err == nil && p.Removed && !withRemoved {
		return nil, credit.E("sitecontent.Post", credit.NotFound, "post %s was removed", id)
	}
	return p, err
}

// Versions are every version of a post, oldest first.
func (s *Service) Versions(ctx context.Context, id string) ([]credit.SitePost, error) {
	vs, err := s.store.SitePostVersions(ctx, id)
	if err == nil && len(vs) == 0 {
		err = credit.E("sitecontent.Versions", credit.NotFound, "no post %s", id)
	}
	return vs, err
}

// Render turns Markdown into HTML safe to put in a page: no raw HTML, no
// script links, no inline styles.
func (s *Service) Render(md string) template.HTML {
	var buf bytes.Buffer
	if err := s.md.Convert([]byte(md), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(md))
	}
	return template.HTML(buf.String()) //nolint:gosec // goldmark without WithUnsafe: raw HTML omitted, unsafe links dropped
}

// Text is the post's title and body in lang ("en" or Chinese), the
// Chinese when there is no English.
func Text(p *credit.SitePost, lang string) (title, body string) {
	title, body = p.Title, p.Body
	if lang == "en" {
		if p.TitleEn != "" {
			title = p.TitleEn
		}
		if p.BodyEn != "" {
			body = p.BodyEn
		}
	}
	return title, body
}
