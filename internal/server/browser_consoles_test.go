package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestBrowserConsolesByRole signs in as every role in Chromium, opens its
// console and every page the console links, and finds no console error
// (a script error, a resource the page could not load, a style the CSP
// refused) and no failed request; it saves a screenshot of each role's
// console.
func TestBrowserConsolesByRole(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	t.Logf("screenshots in %s", out)
	n := newCrawlNode(t)

	for i, role := range credit.Roles {
		if role == credit.RolePublic {
			continue
		}
		t.Run(string(role), func(t *testing.T) {
			// A browser of its own per role (own cookies; a tab of a shared
			// browser sometimes never loaded after another role's walk).
			bctx := newBrowser(t, exe, 1280, 1000)
			var (
				mu       sync.Mutex
				problems []string
				page     string
			)
			note := func(s string) {
				mu.Lock()
				problems = append(problems, page+": "+s)
				mu.Unlock()
			}
			listen := func(ev any) {
				switch e := ev.(type) {
				case *runtime.EventConsoleAPICalled:
					if e.Type == runtime.ConsoleAPICalledTypeError {
						note("console error")
					}
				case *runtime.EventExceptionThrown:
					note("exception: " + e.ExceptionDetails.Text)
				case *cdplog.EventEntryAdded:
					if e.Entry.Level == cdplog.EntryLevelError {
						note("console: " + e.Entry.Text)
					}
				case *network.EventResponseReceived:
					if e.Response.Status >= 400 {
						note(fmt.Sprintf("%d %s", e.Response.Status, e.Response.URL))
					}
				}
			}
			if err := chromedp.Listen(bctx, listen); err != nil {
				t.Fatal(err)
			}
			run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(stepCtx(t, bctx), actions...); err != nil {
					ctx2, c2 := context.WithTimeout(bctx, 5*time.Second)
					defer c2()
					loc, _ := chromedp.Run(ctx2, chromedp.Location())
					txt, _ := chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("body")))
					t.Fatalf("%s: %v at %s: %.600s", step, err, loc, txt)
				}
			}
			enable := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
					return err
				}
				_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
				return err
			})
			page = "/login → /console"
			run("sign in", enable,
				chromedp.Navigate(n.srv.URL+"/login?next=%2Fconsole"),
				chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), n.names[role]),
				chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
				chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
				chromedp.WaitVisible(chromedp.CSS("#console-nav")),
			)
			page = "/console"
			png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("console-%d-%s.png", i+1, role)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			links, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#console-nav a")).map(a => a.getAttribute("href"))`))
			if err != nil {
				t.Fatal(err)
			}
			if len(links) < 2 {
				t.Errorf("the console links only %v", links)
			}
			for _, href := range links {
				if strings.HasSuffix(href, ".json") {
					continue // a document, not a page
				}
				page = href
				run("open "+href, chromedp.Navigate(n.srv.URL+href), chromedp.WaitReady(chromedp.CSS("main")))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range problems {
				t.Error(p)
			}
			t.Logf("%s: console and %d linked pages", role, len(links))
		})
	}
}

// TestBrowserSubjectSignIn walks a company's way in Chromium: its public
// page's 异议 link, the page that explains and offers the sign-in, the
// identity provider, and back to its own cases, signed in; screenshots of
// each step.
func TestBrowserSubjectSignIn(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	n := newOIDCNode(t)
	bctx := newBrowser(t, exe, 1280, 900)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserRun(t, bctx, step, actions...)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n.idp.SignInNext(map[string]any{"sub": "ebl-1", "uscc": orgCode, "name": "张三"}, "")
	run("subject page", chromedp.Navigate(n.srv.URL+"/subjects/"+orgCode), chromedp.WaitVisible(chromedp.CSS("nav.selfservice")))
	shot("signin-1-subject-page")
	run("异议", chromedp.Click(chromedp.CSS(`nav.selfservice a[href$="/act/objection"]`)), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
	shot("signin-2-explained")
	run("sign in", chromedp.Click(chromedp.CSS("#oidc-signin")), chromedp.WaitVisible(chromedp.CSS("main h1")))
	loc, err := chromedp.Run(stepCtx(t, bctx), chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/my/cases") {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	shot("signin-3-my-cases")
	text, err := chromedp.Run(stepCtx(t, bctx), chromedp.Text(chromedp.CSS("header")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "退出") {
		t.Errorf("not signed in after the provider: %q", text)
	}
	t.Logf("screenshots in %s", out)
}
