package exchange_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

// TestPerfCatchup times a province catching up over JetStream in this
// process (XINYONG_PERF=1), for profiling.
func TestPerfCatchup(t *testing.T) {
	if os.Getenv("XINYONG_PERF") == "" {
		t.Skip("XINYONG_PERF=1 runs it")
	}
	ctx := context.Background()
	url := "nats://127.0.0.1:4222"
	sfx := fmt.Sprint(time.Now().UnixNano() % 1000000)
	mk := func(id, level, backend string) *node {
		_, priv, _ := ed25519.GenerateKey(nil)
		st := apptest.Store(t, backend)
		n := credit.Node{ID: id + sfx, Level: level, Region: "350102", Name: id, PublicKey: priv.Public().(ed25519.PublicKey)}
		must(t, st.PutExchangeNode(ctx, &n))
		env := apptest.New(t, apptest.Options{Store: st, NoSearchIndex: os.Getenv("XINYONG_PERF_SEARCH") == "",
			Exchange: app.ExchangeParts{Identity: &exchange.Identity{Node: n, Key: priv}, Transit: transit(t), NATS: url}})
		return &node{Env: env, id: n.ID}
	}
	county, province := mk("c", credit.LevelCounty, ""), mk("p", credit.LevelProvince, os.Getenv("XINYONG_PERF_BACKEND"))
	t.Cleanup(func() {
		if nc, js, err := exchange.Connect(url, "cleanup"); err == nil {
			_ = js.DeleteStream(context.Background(), exchange.StreamName(county.id))
			_ = js.DeleteStream(context.Background(), exchange.StreamName(province.id))
			nc.Close()
		}
	})
	link(t, county, province)
	for _, n := range []*node{county, province} {
		ps, _ := n.Store.Peers(ctx)
		for _, p := range ps {
			p.Transport = credit.TransportNATS
			must(t, n.Store.PutPeer(ctx, &p))
		}
	}
	g := uscc.NewGenerator(8)
	for b := range 10 {
		var recs []credit.Record
		for i := range 2500 {
			sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: g.USCC('9', '1', "350102"), Name: fmt.Sprintf("公司%d-%d", b, i)})
			must(t, err)
			rec, _, err := county.Records.Prepare(records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, fmt.Sprintf("鼓%d-%d号", b, i))}, nil)
			must(t, err)
			recs = append(recs, *rec)
		}
		must(t, county.Store.AppendRecords(ctx, recs))
	}
	cctx, cancel := context.WithCancel(ctx)
	go county.Exchange.Run(cctx)
	head, _ := county.Store.ChangeHead(ctx)
	for {
		pos, _, _ := county.Store.FeedCursor(ctx, "exchange."+province.id)
		if pos >= head {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	t0 := time.Now()
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go province.Exchange.Run(pctx)
	for {
		c, _ := province.Store.ExchangeCursor(ctx, county.id)
		if c.Pos >= head {
			t.Logf("%d facts in %v = %.0f/s", c.Facts, time.Since(t0), float64(c.Facts)/time.Since(t0).Seconds())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}
