package server_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/web"
)

// crawlNode is a node with the demo data set and one account per role
// (crawl-<role>, the tests' password).
type crawlNode struct {
	srv   *httptest.Server
	node  *apptest.Env
	names map[credit.Role]string
}

func newCrawlNode(t *testing.T) *crawlNode {
	t.Helper()
	ctx := context.Background()
	node := apptest.New(t, apptest.Options{})
	if _, err := demo.Seed(ctx, node.App, demo.Options{Subjects: 80}); err != nil {
		t.Fatal(err)
	}
	// The subject account acts for the demo's subject with records, lists
	// and cases; the department is the demo's market regulator.
	subj, err := node.Store.Account(ctx, "subject")
	if err != nil {
		t.Fatal(err)
	}
	names := map[credit.Role]string{}
	for _, role := range credit.Roles {
		if role == credit.RolePublic {
			continue
		}
		var dept, subject string
		switch role {
		case credit.RoleDept, credit.RoleBusiness:
			dept = "SAMR-350100"
		case credit.RoleSubject:
			subject = subj.Subject
		}
		name := "crawl-" + string(role)
		if _, err := node.Accounts.CreateAccount(ctx, name, "", role, dept, subject, password); err != nil {
			t.Fatal(err)
		}
		names[role] = name
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "crawl-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &crawlNode{srv: srv, node: node, names: names}
}

// signedIn is a browser-like client signed in as role (anonymous for
// public).
func (n *crawlNode) signedIn(t *testing.T, role credit.Role) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	if role != credit.RolePublic {
		login(t, c, n.srv.URL, n.names[role])
	}
	return c
}

var hrefRe = regexp.MustCompile(`(?i)\b(?:href|src)="([^"]*)"`)

// idSegment is a path segment that names one thing (a subject's code, a
// case's or record's ID, a report number): pages that differ only there
// are the same page to the crawl, visited a few times each.
var idSegment = regexp.MustCompile(`^[0-9A-Za-z_-]*[0-9][0-9A-Za-z_-]{7,}$`)

func pagePattern(u *url.URL) string {
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		if idSegment.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(segs, "/") + "?" + strings.Join(keys, "&")
}

// crawl visits every same-origin link reachable by GET from start as c,
// and returns the failures: any 4xx or 5xx, and (for a signed-in client)
// any link that ends on the sign-in page, a refusal in disguise.
func crawl(t *testing.T, base string, c *http.Client, start []string, signedIn bool) (visited int, failures []string) {
	t.Helper()
	origin, _ := url.Parse(base)
	seen := map[string]bool{}
	perPattern := map[string]int{}
	type item struct{ u, from string }
	var queue []item
	for _, s := range start {
		queue = append(queue, item{base + s, "(start)"})
	}
	for len(queue) > 0 && visited < 600 {
		it := queue[0]
		queue = queue[1:]
		u, err := url.Parse(it.u)
		if err != nil || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		pat := pagePattern(u)
		if perPattern[pat] >= 3 {
			continue
		}
		perPattern[pat]++
		resp, err := c.Get(u.String())
		if err != nil {
			failures = append(failures, u.RequestURI()+" (from "+it.from+"): "+err.Error())
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		visited++
		if resp.StatusCode >= 400 {
			failures = append(failures, u.RequestURI()+" (from "+it.from+"): "+resp.Status)
			continue
		}
		if signedIn && resp.Request.URL.Path == "/login" {
			failures = append(failures, u.RequestURI()+" (from "+it.from+"): sent to sign in")
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		page := resp.Request.URL
		for _, m := range hrefRe.FindAllStringSubmatch(string(body), -1) {
			ref, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				failures = append(failures, "bad link "+m[1]+" on "+page.RequestURI())
				continue
			}
			next := page.ResolveReference(ref)
			next.Fragment = ""
			if next.Host != origin.Host || next.Scheme != origin.Scheme {
				continue
			}
			if next.Query().Has("lang") {
				continue // the same page in the other language (TestLanguage covers it)
			}
			queue = append(queue, item{next.String(), page.RequestURI()})
		}
	}
	return visited, failures
}

// TestCrawlEveryRole signs in as every role, visits every link reachable
// from its pages, and finds no 4xx or 5xx: no role is shown a link it
// may not open. Each role's console shows exactly the console pages the
// page table gives it, and the gate refuses the others.
func TestCrawlEveryRole(t *testing.T) {
	n := newCrawlNode(t)
	for _, role := range credit.Roles {
		t.Run(string(role), func(t *testing.T) {
			c := n.signedIn(t, role)
			start := []string{"/", "/lists/black", "/lists/red"}
			if role != credit.RolePublic {
				start = append(start, "/console")
			}
			visited, failures := crawl(t, n.srv.URL, c, start, role != credit.RolePublic)
			t.Logf("%s: %d pages", role, visited)
			for _, f := range failures {
				t.Error(f)
			}
			if visited < 5 {
				t.Errorf("only %d pages reached", visited)
			}
		})
	}
}

// TestConsolePagesByRole holds the page table, the console's links and
// the handlers together: every role's console links exactly the table's
// pages for it, each of which answers, and every other page of the table
// is refused (403 signed in, the sign-in page signed out).
func TestConsolePagesByRole(t *testing.T) {
	n := newCrawlNode(t)
	for _, role := range credit.Roles {
		c := n.signedIn(t, role)
		var console string
		if role != credit.RolePublic {
			_, console = get(t, c, n.srv.URL+"/console")
		}
		for _, pg := range web.ConsolePages() {
			allowed := slices.Contains(pg.Roles, role)
			linked := strings.Contains(console, `href="`+html.EscapeString(pg.Link)+`"`)
			if role != credit.RolePublic && allowed != linked {
				t.Errorf("%s: %s allowed %v but linked %v on the console", role, pg.Link, allowed, linked)
			}
			resp, _ := get(t, c, n.srv.URL+pg.Link)
			switch {
			case allowed && resp.StatusCode != http.StatusOK:
				t.Errorf("%s: %s answers %d", role, pg.Link, resp.StatusCode)
			case !allowed && role == credit.RolePublic && resp.Request.URL.Path != "/login":
				t.Errorf("signed out: %s ends at %s (%d), want the sign-in page", pg.Link, resp.Request.URL.Path, resp.StatusCode)
			case !allowed && role != credit.RolePublic && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s: %s answers %d, want 403", role, pg.Link, resp.StatusCode)
			}
		}
	}
}
