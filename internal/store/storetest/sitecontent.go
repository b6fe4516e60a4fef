package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testSiteContent: posts are versioned, every version is kept, a stale
// edit is refused, removed posts leave the portal's lists, and two editors
// of the same version cannot both win.
func testSiteContent(t *testing.T, s credit.Store) {
	ctx := t.Context()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	a := &credit.SitePost{ID: "n1", Section: credit.SectionNotices, Title: "关于开展信用修复培训的通知", Body: "# 通知\n\n内容", Date: day(2), Editor: "admin"}
	if err := s.PutSitePost(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 {
		t.Fatalf("first version %d", a.Version)
	}
	if err := s.PutSitePost(ctx, &credit.SitePost{ID: "n1", Section: credit.SectionNotices, Title: "x", Editor: "admin"}, 0); !credit.Is(credit.Conflict, err) {
		t.Fatalf("a second new post with the same ID: %v, want Conflict", err)
	}
	b := &credit.SitePost{ID: "p1", Section: credit.SectionPolicies, Title: "国办发〔2020〕49号", Body: "正文", Date: day(5), Editor: "admin"}
	if err := s.PutSitePost(ctx, b, 0); err != nil {
		t.Fatal(err)
	}
	edit := *a
	edit.Title, edit.Body = "关于开展信用修复培训的通知（更正）", "更正后的内容"
	if err := s.PutSitePost(ctx, &edit, 1); err != nil {
		t.Fatal(err)
	}
	stale := *a
	stale.Title = "过时的编辑"
	if err := s.PutSitePost(ctx, &stale, 1); !credit.Is(credit.Conflict, err) {
		t.Fatalf("an edit of version 1 after version 2: %v, want Conflict", err)
	}
	got, err := s.SitePost(ctx, "n1")
	if err != nil || got.Version != 2 || got.Title != edit.Title || got.Body != "更正后的内容" || !got.Date.Equal(day(2)) {
		t.Fatalf("newest version: %+v, %v", got, err)
	}
	vs, err := s.SitePostVersions(ctx, "n1")
	if err != nil || len(vs) != 2 || vs[0].Title != a.Title || vs[0].Body != a.Body || vs[1].Version != 2 {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	all, err := s.SitePosts(ctx, "", false, 0)
	if err != nil || len(all) != 2 || all[0].ID != "p1" || all[1].ID != "n1" || all[1].Version != 2 {
		t.Fatalf("all posts, newest date first: %+v, %v", all, err)
	}
	notices, err := s.SitePosts(ctx, credit.SectionNotices, false, 0)
	if err != nil || len(notices) != 1 || notices[0].ID != "n1" {
		t.Fatalf("notices: %+v, %v", notices, err)
	}
	gone := *got
	gone.Removed = true
	if err := s.PutSitePost(ctx, &gone, 2); err != nil {
		t.Fatal(err)
	}
	if notices, err := s.SitePosts(ctx, credit.SectionNotices, false, 0); err != nil || len(notices) != 0 {
		t.Fatalf("a removed post is still listed: %+v, %v", notices, err)
	}
	if withRemoved, err := s.SitePosts(ctx, credit.SectionNotices, true, 0); err != nil || len(withRemoved) != 1 || !withRemoved[0].Removed || withRemoved[0].Version != 3 {
		t.Fatalf("with removed: %+v, %v", withRemoved, err)
	}
	if _, err := s.SitePost(ctx, "none"); !credit.Is(credit.NotFound, err) {
		t.Fatalf("missing post: %v", err)
	}
	if err := s.PutSitePost(ctx, &credit.SitePost{ID: "x", Section: "ads", Title: "x"}, 0); !credit.Is(credit.Invalid, err) {
		t.Fatalf("unknown section: %v", err)
	}
	// Two editors of version 3 at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := *got
			p.Title = []string{"甲的编辑", "乙的编辑"}[i]
			errs[i] = s.PutSitePost(ctx, &p, 3)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two edits of one version: %v, %v; want one to win", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !credit.Is(credit.Conflict, err) {
			t.Fatalf("the losing edit: %v, want Conflict", err)
		}
	}
	if vs, _ := s.SitePostVersions(ctx, "n1"); len(vs) != 4 {
		t.Fatalf("%d versions after the race, want 4", len(vs))
	}
}
