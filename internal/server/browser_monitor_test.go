package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/server"
)

// seedMonitor writes six months of batches, records and subjects for
// three departments, so that every chart has lines.
func seedMonitor(t *testing.T, ctx context.Context, st credit.Store, now time.Time) {
	t.Helper()
	depts := []string{"SAMR-350100", "NDRC-350100", "TAX-350100"}
	var recs []credit.Record
	for m := 5; m >= 0; m-- {
		day := now.AddDate(0, -m, -3)
		id := "9135010" + strconv.Itoa(m) + "MA2XN0CQ"
		sub := &credit.Subject{ID: "sub-" + strconv.Itoa(m), Kind: credit.Organisation, Code: id, Name: "监测主体" + strconv.Itoa(m), CreatedAt: day, UpdatedAt: day}
		if err := st.PutSubject(ctx, sub); err != nil {
			t.Fatal(err)
		}
		for i, d := range depts {
			for k := 0; k <= (i+m)%3; k++ {
				recs = append(recs, credit.Record{ID: credit.NewID(), SubjectID: sub.ID, Item: "admin_penalty", Catalog: "t", Fact: credit.Original,
					Dept: d, DocNo: d + strconv.Itoa(m) + "-" + strconv.Itoa(k), DecidedOn: day, Received: day, Fields: credit.Fields{"x": "y"},
					Hash: "h", Kind: credit.Organisation})
			}
			b := &credit.Batch{ID: credit.NewID(), Dept: d, Item: "admin_penalty", FileName: "f.csv", Format: "csv", Encoding: "utf-8",
				HeaderStyle: "codes", ContentHash: d + strconv.Itoa(m), Actor: "cli", StartedAt: day}
			if err := st.CreateBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
			c := credit.BatchCounts{Total: 20, Accepted: 20 - i - m%2, Rejected: i + m%2, Timed: 20, Late: (i*m + i) % 7, Filled: 10 + m + i*2, Fillable: 24}
			c.Created = c.Accepted
			if err := st.CommitChunk(ctx, &credit.Chunk{BatchID: b.ID, Seq: 1, LastRow: 20, Counts: c}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserMonitor: the credit office and a department open the
// monitoring page in Chromium; every chart is drawn in colour (fills and
// strokes from style.css, which the CSP allows), the page logs no console
// error (no CSP violation), a department sees its own figures only.
func TestBrowserMonitor(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 11, 20, 10, 0, 0, 0, chinatime.Location)})
	seedMonitor(t, ctx, node.Store, node.Clock.Now())
	accs := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	if _, err := accs.CreateAccount(ctx, "m-reviewer", "", credit.RoleReviewer, "", "", password); err != nil {
		t.Fatal(err)
	}
	if _, err := accs.CreateAccount(ctx, "m-dept", "", credit.RoleDept, "NDRC-350100", "", password); err != nil {
		t.Fatal(err)
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, who := range []struct{ name, shot string }{{"m-reviewer", "monitor-01-credit-office"}, {"m-dept", "monitor-02-department"}} {
		// A browser of its own per account (a tab of a shared browser
		// sometimes never loaded after the other account's walk).
		bctx := newBrowser(t, exe, 1280, 1400)
		run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(stepCtx(t, bctx), actions...); err != nil {
				t.Fatalf("%s: %s: %v", who.name, step, err)
			}
		}
		run("open", chromedp.Navigate("about:blank"))
		// Every console message from here on, CSP violations included.
		var (
			mu   sync.Mutex
			msgs []string
		)
		cctx, stop := context.WithCancel(bctx)
		done := make(chan struct{})
		messages := chromedp.Console(cctx)
		go func() {
			defer close(done)
			for m, err := range messages {
				if err != nil {
					return
				}
				// The site's favicon is the portal's (issue 20, part 1), not
				// this page's: its 404 is left out until it exists.
				if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.HasSuffix(m.URL, "/favicon.ico") {
					mu.Lock()
					msgs = append(msgs, m.String()+" ("+m.URL+")")
					mu.Unlock()
				}
			}
		}()
		run("sign in",
			chromedp.Navigate(srv.URL+"/login?next=/console/monitor"),
			chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), who.name),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
			chromedp.WaitVisible(chromedp.CSS("#ranking")),
		)
		fills, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('svg .mon-dot, svg .mon-bar')).map(e => getComputedStyle(e).fill)`))
		if err != nil {
			t.Fatal(err)
		}
		strokes, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('svg path.mon-line')).map(e => getComputedStyle(e).stroke)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(fills) < 10 || len(strokes) < 3 {
			t.Fatalf("%s: %d filled marks, %d lines: the charts are not drawn", who.name, len(fills), len(strokes))
		}
		colours := map[string]bool{}
		for _, c := range append(fills, strokes...) {
			if c == "none" || c == "rgb(0, 0, 0)" || c == "" {
				t.Errorf("%s: a chart mark is drawn %q (black or nothing): its class has no colour", who.name, c)
			}
			colours[c] = true
		}
		// A department sees its own line; the credit office one per
		// department and the total.
		if who.name == "m-reviewer" && len(colours) < 4 {
			t.Errorf("%s: only %d colours: %v", who.name, len(colours), colours)
		}
		body, err := chromedp.Run(stepCtx(t, bctx), chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if who.name == "m-dept" {
			if strings.Contains(body, "福州市市场监督管理局") || strings.Contains(body, "严重失信主体占比") {
				t.Errorf("the department sees other departments' or city-wide figures")
			}
			if !strings.Contains(body, "福州市发展和改革委员会") {
				t.Errorf("the department does not see its own figures")
			}
		} else if !strings.Contains(body, "福州市市场监督管理局") || !strings.Contains(body, "严重失信主体占比") || !strings.Contains(body, "国发〔2016〕33号") {
			t.Errorf("the credit office's page lacks departments, the city figures or the basis")
		}
		png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(out, who.shot+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		// English, by week.
		run("english", chromedp.Navigate(srv.URL+"/console/monitor?period=week&n=8&lang=en"), chromedp.WaitVisible(chromedp.CSS("#ranking")))
		if who.name == "m-reviewer" {
			png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "monitor-03-weeks-en.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond) // let the last messages arrive
		stop()
		<-done
		mu.Lock()
		if len(msgs) > 0 {
			t.Errorf("%s: console errors:\n%s", who.name, strings.Join(msgs, "\n"))
		}
		mu.Unlock()
	}
	t.Logf("screenshots in %s", out)
}
