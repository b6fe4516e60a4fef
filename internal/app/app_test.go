package app_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/testenv"
	"github.com/xinyong/xinyong/internal/uscc"
)

// TestNodesFollowTheFeed: two nodes built by the composition root over
// one store; what one writes (an organisation registered, a court's
// 失信被执行人 record) the other's name index and hit check see once they
// have read the change feed, and not before: they follow the feed, not
// their own node's writes.
func TestNodesFollowTheFeed(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			st := apptest.Store(t, backend)
			clk := testenv.NewClock(testenv.DefaultNow)
			build := func() *app.App {
				a, err := app.New(ctx, app.Parts{Store: st, Catalog: apptest.Catalog(t), Sealer: apptest.Sealer(t), Calendar: apptest.Calendar(t),
					Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { a.Close(context.Background()) })
				return a
			}
			reader, writer := build(), build()

			code := uscc.NewGenerator(11).USCC('9', '1', "350100")
			const name = "福州跟随科技有限公司"
			if _, err := writer.Records.PutOrganisation(ctx, records.Organisation{Code: code, Name: name}); err != nil {
				t.Fatal(err)
			}
			decided := clk.Now().AddDate(0, 0, -10)
			if _, _, err := writer.Records.Append(ctx, records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: code, Fields: credit.Fields{
				"sx_bzxr_mc": name, "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": code, "sx_fddbr": "张三",
				"sx_ah": "（2026）闽01执1号", "sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初1号",
				"sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付货款", "sx_lxqk": "全部未履行", "sx_qx": "违反财产报告制度",
				"sx_fbrq": chinatime.Format(decided),
			}}); err != nil {
				t.Fatal(err)
			}
			caller := sanction.Caller{Name: "procurement", Dept: "FIN-350100", Matters: []string{"gov_procurement"}}
			listed := func(a *app.App) bool {
				t.Helper()
				r, err := a.Sanction.Check(ctx, caller, sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: code}}})
				if err != nil {
					t.Fatal(err)
				}
				return r.Results[0].Listed
			}
			found := func(a *app.App) bool { return len(a.Search.Search("跟随", 5).Hits) > 0 }

			// The writer sees its own writes at once.
			if !found(writer) || !listed(writer) {
				t.Fatalf("the writing node: found %v, listed %v", found(writer), listed(writer))
			}
			// The reader has not read the feed yet.
			if found(reader) || listed(reader) {
				t.Fatalf("the reading node before following the feed: found %v, listed %v", found(reader), listed(reader))
			}
			if err := reader.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if !found(reader) || !listed(reader) {
				t.Fatalf("the reading node after the feed: found %v, listed %v", found(reader), listed(reader))
			}
			cs, err := st.ChangesSince(ctx, 0, 0, credit.ChangeSubject)
			if err != nil || len(cs) == 0 || reader.Search.Position() != cs[len(cs)-1].Pos {
				t.Fatalf("the name index read to %d, the feed's last subject change is %+v (%v)", reader.Search.Position(), cs, err)
			}
		})
	}
}
