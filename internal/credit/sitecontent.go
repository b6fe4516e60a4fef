package credit

import (
	"context"
	"time"
)

// Site content: the portal's 通知公告 (notices) and 政策法规 (policies),
// written by administrators in Markdown. Every edit is a new version of
// the post; the versions before it are kept (a removal is a version too).

// SiteSection is where a post appears on the portal.
type SiteSection string

const (
	SectionNotices  SiteSection = "notices"  // 通知公告
	SectionPolicies SiteSection = "policies" // 政策法规
)

// SiteSections are the sections a post may be in.
var SiteSections = []SiteSection{SectionNotices, SectionPolicies}

// SitePost is one version of a post.
type SitePost struct {
	ID      string      `json:"id"`
	Version int         `json:"version"`
	Section SiteSection `json:"section"`
	Title   string      `json:"title"`
	TitleEn string      `json:"title_en,omitempty"`
	// Body and BodyEn are Markdown; the portal renders them without raw
	// HTML.
	Body   string `json:"body"`
	BodyEn string `json:"body_en,omitempty"`
	// Date is the post's date as the portal shows it (发布日期).
	Date time.Time `json:"date"`
	// Removed: this version takes the post off the portal.
	Removed bool      `json:"removed,omitempty"`
	Editor  string    `json:"editor"`
	At      time.Time `json:"at"`
}

// SiteContentStore keeps the site's posts with every version.
type SiteContentStore interface {
	// PutSitePost writes p as version prev+1 of post p.ID (prev 0: a new
	// post). Conflict when the post's newest version is not prev (two
	// administrators editing at once) or a new post's ID is taken.
	PutSitePost(ctx context.Context, p *SitePost, prev int) error
	// SitePosts returns the newest version of each post of section (every
	// section when ""), removed ones left out unless withRemoved, newest
	// date first, at most limit (<= 0: 100).
	SitePosts(ctx context.Context, section SiteSection, withRemoved bool, limit int) ([]SitePost, error)
	// SitePost returns a post's newest version; NotFound if none.
	SitePost(ctx context.Context, id string) (*SitePost, error)
	// SitePostVersions returns every version of a post, oldest first.
	SitePostVersions(ctx context.Context, id string) ([]SitePost, error)
}
