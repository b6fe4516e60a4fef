package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/exchange/federation"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// runBenchExchange implements `xinyong bench exchange`: a county (SQLite),
// a city (PostgreSQL) and a province (SQLite) as three processes of this
// binary over NATS JetStream. It reports the propagation of a record and
// of a repair from the county to the province (p50, p99), and the
// catch-up rate of the province after it was down while the county wrote,
// each beside JetStream's own publish-to-consume latency and rate
// measured in the same run.
func runBenchExchange(args []string, stdout, stderr io.Writer) int {
	var natsURL, pg, tmp, pgNode string
	var samples, catchup int
	var keep bool
	fs := newFlagSet("bench", "bench exchange [--samples N] [--catchup N] [--nats URL] [--pg DSN]", stdout)
	fs.StringVar(&natsURL, "nats", envOr("XINYONG_NATS", "nats://127.0.0.1:4222"), "NATS server with JetStream")
	fs.StringVar(&pg, "pg", envOr("XINYONG_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL server for the city (a temporary schema is created and dropped)")
	fs.IntVar(&samples, "samples", 100, "records and repairs whose propagation is timed")
	fs.IntVar(&catchup, "catchup", 100000, "records the county writes while the province is down")
	fs.BoolVar(&keep, "keep", false, "keep the nodes' directory (databases and logs) and say where it is")
	fs.StringVar(&pgNode, "pg-node", "city", "which node runs on PostgreSQL: city or province (the others on SQLite)")
	fs.StringVar(&tmp, "tmp", "", "directory for the nodes' files (default: the system temporary directory)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	ctx := context.Background()
	if pgNode != "city" && pgNode != "province" {
		return fail(stderr, "bench exchange", fmt.Errorf("--pg-node %q: city or province", pgNode))
	}
	if err := benchExchange(ctx, natsURL, pg, tmp, pgNode, samples, catchup, keep, stdout, stderr); err != nil {
		return fail(stderr, "bench exchange", err)
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func benchExchange(ctx context.Context, natsURL, pg, tmp, pgNode string, samples, catchup int, keep bool, stdout, log io.Writer) error {
	if err := federation.Reachable(natsURL); err != nil {
		return fmt.Errorf("NATS JetStream at %s: %w", natsURL, err)
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(tmp, "xinyong-bench-exchange-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(log, "nodes' files and logs in %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	dsn, drop, err := tempSchema(ctx, pg)
	if err != nil {
		return err
	}
	defer drop()
	var b [4]byte
	_, _ = rand.Read(b[:])
	sfx := hex.EncodeToString(b[:])
	key := func(c byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{c}, 32)) }
	county, city, province := "county"+sfx, "city"+sfx, "province"+sfx
	cityDB, provinceDB := dsn, filepath.Join(dir, "province", "x.db")
	if pgNode == "province" {
		cityDB, provinceDB = filepath.Join(dir, "city", "x.db"), dsn
	}
	fed, err := federation.New(bin, dir, natsURL, key(9),
		federation.Spec{ID: county, Level: credit.LevelCounty, Region: "350102", Name: "县级平台", DB: filepath.Join(dir, "county", "x.db"), DataKey: key(1)},
		federation.Spec{ID: city, Level: credit.LevelCity, Region: "350100", Name: "市级平台", DB: cityDB, DataKey: key(2)},
		federation.Spec{ID: province, Level: credit.LevelProvince, Region: "350000", Name: "省级平台", DB: provinceDB, DataKey: key(3)},
	)
	if err != nil {
		return err
	}
	defer fed.Close()
	fed.Extra = []string{"XINYONG_LOG_LEVEL=warn"}
	if err := fed.Init(ctx); err != nil {
		return err
	}
	for _, l := range [][2]string{{county, city}, {county, province}, {city, province}} {
		if err := fed.Link(ctx, l[0], l[1]); err != nil {
			return err
		}
	}
	C, P := fed.Node(county), fed.Node(province)
	for _, n := range fed.Nodes {
		if err := n.Start(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "nodes up: %s (%s), %s (%s), %s (%s)\n", county, backendOf(C.DB), city, backendOf(cityDB), province, backendOf(provinceDB))

	cn, err := benchNode(ctx, C)
	if err != nil {
		return err
	}
	defer cn.Close(context.Background())
	pn, err := benchNode(ctx, P)
	if err != nil {
		return err
	}
	defer pn.Close(context.Background())
	yn, err := benchNode(ctx, fed.Node(city))
	if err != nil {
		return err
	}
	defer yn.Close(context.Background())

	// Propagation of a record, and of a repair, county → province.
	var recLat, repLat []time.Duration
	g := uscc.NewGenerator(77)
	unit := workflow.Actor{Name: "officer", Role: credit.RoleDept, Dept: "SAMR-350102"}
	decided := chinatime.Date(time.Now()).AddDate(0, 0, -80).Format(time.DateOnly)
	for i := range samples {
		sub, err := cn.Records.PutOrganisation(ctx, records.Organisation{Code: g.USCC('9', '1', "350102"), Name: fmt.Sprintf("鼓楼测速商贸%04d有限公司", i)})
		if err != nil {
			return err
		}
		t0 := time.Now()
		rec, _, err := cn.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: benchPenalty(sub, fmt.Sprintf("鼓市监罚〔2026〕%d号", 10000+i), decided)})
		if err != nil {
			return err
		}
		if err := waitApplied(ctx, pn, county, rec.ID); err != nil {
			return err
		}
		recLat = append(recLat, time.Since(t0))
		if d := time.Since(t0); d > 500*time.Millisecond {
			fmt.Fprintf(log, "slow: record %s took %v (written %s)\n", rec.ID, d.Round(time.Millisecond), t0.UTC().Format("15:04:05.000"))
		}
		subj := workflow.Actor{Name: "申请人", Role: credit.RoleSubject, Subject: sub.ID}
		rc, _, err := cn.Workflow.FileRepair(ctx, subj, workflow.Repair{SubjectID: sub.ID, RecordID: rec.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true})
		if err != nil {
			return fmt.Errorf("repair of the benchmark's record: %w", err)
		}
		if err := cn.Workflow.AcceptRepair(ctx, unit, rc.ID); err != nil {
			return err
		}
		t0 = time.Now()
		if err := cn.Workflow.ApproveRepair(ctx, unit, rc.ID, "准予修复"); err != nil {
			return err
		}
		for {
			m, err := pn.Marks.Marks(ctx, []string{rec.ID})
			if err != nil {
				return err
			}
			if m[rec.ID].Repaired {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		repLat = append(repLat, time.Since(t0))
	}
	rawLat, err := rawLatency(ctx, natsURL, sfx, samples)
	if err != nil {
		return err
	}

	// Catch-up: the province down while the county imports a file.
	P.Stop()
	file := filepath.Join(dir, "catchup.csv")
	if _, err := C.Run(ctx, "gen", "--item", "admin_penalty", "--rows", fmt.Sprint(catchup), "--subjects", fmt.Sprint(max(catchup/4, 100)), "--seed", "11", "--dept", "SAMR-350102", "-o", file); err != nil {
		return err
	}
	fmt.Fprintf(log, "province down; the county imports %d rows\n", catchup)
	if out, err := C.Run(ctx, "import", "--dept", "SAMR-350102", "--item", "admin_penalty", "--quiet", file); err != nil && !strings.Contains(string(out), "rejected rows with reasons") {
		return err
	}
	head, err := cn.Store.ChangeHead(ctx)
	if err != nil {
		return err
	}
	for { // until the county has published everything for the province, and the city has applied it (the catch-up runs alone)
		pos, _, err := cn.Store.FeedCursor(ctx, "exchange."+province)
		if err != nil {
			return err
		}
		yc, err := yn.Store.ExchangeCursor(ctx, county)
		if err != nil {
			return err
		}
		if pos >= head && yc.Pos >= head {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	before, err := pn.Store.ExchangeCursor(ctx, county)
	if err != nil {
		return err
	}
	pn.Close(context.Background())
	t0 := time.Now()
	if err := P.Start(ctx); err != nil {
		return err
	}
	if pn, err = benchNode(ctx, P); err != nil {
		return err
	}
	var after credit.ExchangeCursor
	var moved time.Time // when the first batch was applied (the process started, connected, caught up its own feed)
	var movedFacts int64
	for {
		if after, err = pn.Store.ExchangeCursor(ctx, county); err != nil {
			return err
		}
		if moved.IsZero() && after.Pos > before.Pos {
			moved, movedFacts = time.Now(), after.Facts
		}
		if after.Pos >= head {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(t0)
	steady := time.Since(moved)
	facts := after.Facts - before.Facts
	rawPub, rawCons, err := rawRate(ctx, natsURL, sfx, int(facts), 600)
	if err != nil {
		return err
	}

	// The engine's own bulk path writing the rows the province holds now.
	pbackend := "sqlite"
	if strings.HasPrefix(provinceDB, "postgres") {
		pbackend = "postgres"
	}
	rdb, ok := pn.Store.(interface{ ReadDB() *sql.DB })
	if !ok {
		return fmt.Errorf("the province's store (%T) has no read pool", pn.Store)
	}
	engTook, engFacts, engNote, err := engineCeiling(ctx, rdb.ReadDB(), pbackend, pg, dir, county)
	if err != nil {
		return fmt.Errorf("engine ceiling: %w", err)
	}

	fmt.Fprintf(stdout, "propagation county → province (%d samples; p50 / p99 / max)\n", samples)
	fmt.Fprintf(stdout, "  record          %s\n", pct(recLat))
	fmt.Fprintf(stdout, "  repair          %s\n", pct(repLat))
	fmt.Fprintf(stdout, "  raw JetStream   %s   (publish → durable pull consumer → ack, one message)\n", pct(rawLat))
	fmt.Fprintf(stdout, "catch-up of the province after it was down\n")
	fmt.Fprintf(stdout, "  exchange        %d facts in %.2f s = %.0f facts/s from the process start; %.0f facts/s from its first applied batch (verified, applied, cursor committed)\n",
		facts, took.Seconds(), float64(facts)/took.Seconds(), float64(after.Facts-movedFacts)/steady.Seconds())
	fmt.Fprintf(stdout, "  raw JetStream   publish %.0f msgs/s, consume+ack %.0f msgs/s (%d messages of 600 bytes)\n", rawPub, rawCons, facts)
	if engNote != "" {
		fmt.Fprintf(stdout, "  engine bulk     %s\n", engNote)
	} else {
		how := map[string]string{"sqlite": "the sqlite3 shell's INSERT … SELECT from a staged copy", "postgres": "COPY"}[pbackend]
		fmt.Fprintf(stdout, "  engine bulk     %d facts' rows (subjects, records, change feed, keys by origin) in %.2f s = %.0f facts/s (%s into an empty store of the same schema, one transaction): the most any apply could do here; exchange ÷ engine %.2f\n",
			engFacts, engTook.Seconds(), float64(engFacts)/engTook.Seconds(), how, (float64(after.Facts-movedFacts)/steady.Seconds())/(float64(engFacts)/engTook.Seconds()))
	}
	return nil
}

// benchNode opens a node's store in the benchmark's process.
func benchNode(ctx context.Context, n *federation.Node) (*app.App, error) {
	cfg := &config.Config{DB: n.DB, DataKey: n.DataKey, NodeKey: n.NodeKey, LogLevel: "error", LogFormat: "text"}
	return app.Open(ctx, cfg, app.Parts{NoSearchIndex: true})
}

func waitApplied(ctx context.Context, a *app.App, origin, id string) error {
	for {
		got, err := a.Store.AppliedFacts(ctx, origin, []string{id})
		if err != nil {
			return err
		}
		if got[id] {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func benchPenalty(sub *credit.Subject, doc, decided string) credit.Fields {
	authority := uscc.NewGenerator(9).USCC('1', '1', "350100")
	return credit.Fields{
		"cf_xdr_mc": sub.Name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": sub.Code, "cf_frdb": "王伟",
		"cf_wsh": doc, "cf_wfxw": "经营超过保质期的食品", "cf_sy": "经查……", "cf_yj": "《食品安全法》第一百二十四条",
		"cf_cflb": "罚款", "cf_nr": "罚款两万元", "cf_nr_fk": "2", "cf_jdrq": decided,
		"cf_cfjg": "福州市鼓楼区市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市鼓楼区市场监督管理局", "cf_sjlydm": authority,
	}
}

func pct(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("%8.1f ms / %8.1f ms / %8.1f ms", ms(at(0.5)), ms(at(0.99)), ms(s[len(s)-1]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rawLatency publishes single messages to a stream of its own and times
// each until a durable pull consumer has it and has acknowledged it.
func rawLatency(ctx context.Context, url, sfx string, n int) ([]time.Duration, error) {
	nc, js, err := exchange.Connect(url, "bench raw")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	name := "XINYONG_BENCH_" + sfx
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"xinyongbench." + sfx + ".>"}, Storage: jetstream.FileStorage}); err != nil {
		return nil, err
	}
	defer js.DeleteStream(context.Background(), name)
	cons, err := js.CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{Durable: "lat", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, n)
	body := bytes.Repeat([]byte("x"), 1500)
	for i := range n {
		t0 := time.Now()
		if _, err := js.Publish(ctx, "xinyongbench."+sfx+".lat", body, jetstream.WithMsgID(fmt.Sprint("lat-", i))); err != nil {
			return nil, err
		}
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return nil, err
		}
		if err := m.DoubleAck(ctx); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// rawRate publishes n messages of size bytes (asynchronously, with
// message IDs) and consumes them with a durable pull consumer that acks
// each: JetStream's own rates on this machine.
func rawRate(ctx context.Context, url, sfx string, n, size int) (pub, cons float64, err error) {
	nc, js, err := exchange.Connect(url, "bench raw")
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	name := "XINYONG_BENCHRATE_" + sfx
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"xinyongbenchrate." + sfx}, Storage: jetstream.FileStorage}); err != nil {
		return 0, 0, err
	}
	defer js.DeleteStream(context.Background(), name)
	body := bytes.Repeat([]byte("x"), size)
	t0 := time.Now()
	for i := range n {
		if _, err := js.PublishAsync("xinyongbenchrate."+sfx, body, jetstream.WithMsgID(fmt.Sprint("r-", i))); err != nil {
			return 0, 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		return 0, 0, fmt.Errorf("raw publish did not complete")
	}
	pub = float64(n) / time.Since(t0).Seconds()
	c, err := js.CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{Durable: "rate", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 10000})
	if err != nil {
		return 0, 0, err
	}
	t0 = time.Now()
	it, err := c.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return 0, 0, err
	}
	defer it.Stop()
	for range n {
		m, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		_ = m.Ack()
	}
	cons = float64(n) / time.Since(t0).Seconds()
	return pub, cons, nil
}

func backendOf(db string) string {
	if strings.HasPrefix(db, "postgres") {
		return "PostgreSQL"
	}
	return "SQLite"
}
