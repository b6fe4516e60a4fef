package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/exchange/federation"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/workflow"
)

// natsURL is the NATS server of the federation tests: skipped when none
// answers, unless XINYONG_REQUIRE_NATS=1 (CI), when that fails.
func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("XINYONG_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	if err := federation.Reachable(url); err != nil {
		msg := "NATS JetStream not reachable at " + url + " (XINYONG_TEST_NATS; XINYONG_REQUIRE_NATS=1 makes this fatal): " + err.Error()
		if os.Getenv("XINYONG_REQUIRE_NATS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return url
}

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// TestFederation runs a county (SQLite), a city (PostgreSQL) and a
// province (SQLite) as three processes over JetStream: records, their
// corrections and revocations, and a granted repair are made at the
// county while the city is killed with SIGKILL and restarted, the county
// itself is killed mid-stream and restarted, and the province is cut off
// (SIGSTOP) and let go again; a court's list made at the city goes down
// to the county. At the end the three hold the same facts, compared fact
// by fact, each once; a fourth node fed the county's feed by file holds
// the same as the province fed by JetStream.
func TestFederation(t *testing.T) {
	url := natsURL(t)
	bin := binary(t)
	ctx := t.Context()
	dir := t.TempDir()
	suffix := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	county, city, province, twin := "gulou"+suffix, "fuzhou"+suffix, "fujian"+suffix, "twin"+suffix
	fed, err := federation.New(bin, dir, url, key(5),
		federation.Spec{ID: county, Level: credit.LevelCounty, Region: "350102", Name: "鼓楼区公共信用信息平台", DB: filepath.Join(dir, "county", "x.db"), DataKey: key(1)},
		federation.Spec{ID: city, Level: credit.LevelCity, Region: "350100", Name: "福州市公共信用信息平台", DB: pgtest.TestDSN(t), DataKey: key(2)},
		federation.Spec{ID: province, Level: credit.LevelProvince, Region: "350000", Name: "福建省公共信用信息平台", DB: filepath.Join(dir, "province", "x.db"), DataKey: key(3)},
		federation.Spec{ID: twin, Level: credit.LevelProvince, Region: "350000", Name: "省平台（文件摆渡）", DB: filepath.Join(dir, "twin", "x.db"), DataKey: key(4)},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fed.Close()
		if t.Failed() {
			for _, n := range fed.Nodes {
				t.Logf("--- %s log:\n%s", n.ID, n.Tail())
			}
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	must(fed.Init(ctx))
	must(fed.Link(ctx, county, city))
	must(fed.Link(ctx, county, province))
	must(fed.Link(ctx, city, province))
	must(fed.Link(ctx, county, twin)) // the twin: by file only, never started
	C, Y, P := fed.Node(county), fed.Node(city), fed.Node(province)
	for _, n := range []*federation.Node{C, Y, P} {
		must(n.Start(ctx))
	}

	gen := func(seed int, item, dept string) string {
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", item, seed))
		_, err := C.Run(ctx, "gen", "--item", item, "--rows", "300", "--seed", fmt.Sprint(seed), "--subjects", "200", "--dept", dept, "--now", "2026-11-02", "-o", p)
		must(err)
		return p
	}
	// importing runs a department's import into n's store in a process
	// of its own, and returns a channel closed when it has finished.
	importing := func(n *federation.Node, dept, item, file string) chan error {
		done := make(chan error, 1)
		go func() {
			// import exits 1 when it rejected rows (the generated
			// population has some the catalogue refuses); the accepted
			// ones are what travels.
			out, err := n.Run(ctx, "import", "--dept", dept, "--item", item, "--quiet", file)
			if err != nil && strings.Contains(string(out), "rejected rows with reasons") {
				err = nil
			}
			done <- err
		}()
		return done
	}
	imp := func(n *federation.Node, dept, item, file string) {
		t.Helper()
		must(<-importing(n, dept, item, file))
	}
	step("nodes up")
	files := []string{gen(1, "admin_penalty", "SAMR-350102"), gen(2, "admin_licence", "SAMR-350102"), gen(3, "admin_penalty", "SAMR-350102")}
	// Records at the county; the city killed while it applies them.
	running := importing(C, "SAMR-350102", "admin_penalty", files[0])
	waitMoving(t, Y, county)
	Y.Kill()
	must(<-running)
	imp(C, "SAMR-350102", "admin_licence", files[1])
	must(Y.Start(ctx))
	step("city restarted")
	// The county itself killed while a department's import runs and its
	// feed is being published, then restarted.
	running = importing(C, "SAMR-350102", "admin_penalty", files[2])
	time.Sleep(500 * time.Millisecond)
	C.Kill()
	must(<-running)
	must(C.Start(ctx))
	step("county restarted")
	// The province cut off while corrections, revocations and a repair
	// are made at the county; a court's list at the city.
	if err := P.Pause(); err != nil {
		t.Fatal(err)
	}
	cn := openNode(t, C)
	facts := ownRecords(t, cn)
	var corrected, revoked, repaired string
	for _, r := range facts {
		if strings.HasPrefix(r.SubjectID, "person:") || r.Item != "admin_penalty" || r.Fact != credit.Original {
			continue
		}
		switch {
		case corrected == "":
			f := maps(r.Fields)
			f["cf_nr"] = "罚款（更正）"
			_, err := cn.Records.Correct(ctx, r.ID, r.Dept, "金额更正", openFields(t, cn, f))
			must(err)
			corrected = r.ID
		case revoked == "":
			_, err := cn.Records.Revoke(ctx, r.ID, r.Dept, "复议撤销")
			must(err)
			revoked = r.ID
		case repaired == "":
			subj := workflow.Actor{Name: "申请人", Role: credit.RoleSubject, Subject: r.SubjectID}
			unit := workflow.Actor{Name: "officer", Role: credit.RoleDept, Dept: r.Dept}
			rc, _, err := cn.Workflow.FileRepair(ctx, subj, workflow.Repair{SubjectID: r.SubjectID, RecordID: r.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true})
			if err != nil {
				continue // not repairable (its window): the next one
			}
			must(cn.Workflow.AcceptRepair(ctx, unit, rc.ID))
			must(cn.Workflow.ApproveRepair(ctx, unit, rc.ID, "准予修复"))
			repaired = r.ID
		}
	}
	if corrected == "" || revoked == "" || repaired == "" {
		t.Fatalf("corrected %q revoked %q repaired %q", corrected, revoked, repaired)
	}
	cn.Close(ctx)
	step("corrections, revocation, repair made")
	imp(Y, "COURT-350100", "court_defaulter", gen(4, "court_defaulter", "COURT-350100"))
	time.Sleep(time.Second)
	if err := P.Resume(); err != nil {
		t.Fatal(err)
	}

	step("court list imported, province resumed")
	// Forged and mismatched batches on the province's channels: a batch
	// of the county altered after signing, on the county's subject; the
	// county's batch on the city's subject. Both refused, audited; the
	// rest flows on.
	seg := filepath.Join(dir, "segment.jsonl")
	if _, err := C.Run(ctx, "exchange", "export", "--peer", province, "--after", fmt.Sprint(lastOwn(t, openNode(t, C))-1), "-o", seg); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(seg)
	must(err)
	first := raw[:bytes.Index(raw, []byte("\n{\"sig\""))+1]
	first = append(first, raw[len(first):len(first)+bytes.IndexByte(raw[len(first):], '\n')+1]...)
	forged := bytes.Replace(first, []byte(`"op":"`), []byte(`"op":"X`), 1)
	if bytes.Equal(forged, first) {
		t.Fatal("nothing to alter in the batch")
	}
	nc, js, err := exchange.Connect(url, "test")
	must(err)
	_, err = js.Publish(ctx, exchange.Subject(county, province), forged, jetstream.WithMsgID("forged"))
	must(err)
	_, err = js.Publish(ctx, exchange.Subject(city, province), first, jetstream.WithMsgID("mismatched"))
	must(err)
	nc.Close()

	step("forged batches published")
	// Everything arrives, once.
	want := ownRecords(t, openNode(t, C))
	wantCourt := ownRecords(t, openNode(t, Y))
	persons := 0
	for _, r := range want {
		if strings.HasPrefix(r.SubjectID, "person:") {
			persons++
		}
	}
	if len(want) < 500 || len(wantCourt) < 50 || persons == 0 {
		t.Fatalf("the county wrote %d records (%d of persons), the city %d court records: too few to tell", len(want), persons, len(wantCourt))
	}
	t.Logf("county: %d records (%d of natural persons); city: %d court records", len(want), persons, len(wantCourt))
	for _, n := range []*federation.Node{Y, P} {
		waitFor(t, n, county, want)
	}
	waitFor(t, C, city, wantCourt)
	waitFor(t, P, city, wantCourt)

	step("all arrived")
	// The court's list entries (made at each node from the records that
	// came down) are the same at the city, the county and the province.
	yn2, cn2, pn2 := openNode(t, Y), openNode(t, C), openNode(t, P)
	entries := 0
	for id, r := range wantCourt {
		if r.Fact != credit.Original {
			continue
		}
		ye, err := yn2.Sanction.Entry(ctx, id)
		if credit.Is(credit.NotFound, err) {
			continue // not listed (its period over, or not a list record)
		}
		must(err)
		entries++
		for name, a := range map[string]*app.App{"county": cn2, "province": pn2} {
			e, err := a.Sanction.Entry(ctx, id)
			if err != nil {
				t.Fatalf("%s: entry %s: %v", name, id, err)
			}
			if e.State != ye.State || e.List != ye.List || !e.Detail.Since.Equal(ye.Detail.Since) || !e.Detail.Until.Equal(ye.Detail.Until) {
				t.Errorf("%s: entry %s is %s on %s (%v–%v); at the city %s on %s (%v–%v)", name, id, e.State, e.List, e.Detail.Since, e.Detail.Until, ye.State, ye.List, ye.Detail.Since, ye.Detail.Until)
			}
		}
	}
	if entries == 0 {
		t.Fatal("no court list entry to compare")
	}
	t.Logf("%d court list entries the same at city, county and province", entries)
	// The file transport: the county's feed for the twin, exported and
	// imported, gives the twin what JetStream gave the province.
	file := filepath.Join(dir, "ferry.jsonl")
	if _, err := C.Run(ctx, "exchange", "export", "--peer", twin, "-o", file); err != nil {
		t.Fatal(err)
	}
	tw := fed.Node(twin)
	if out, err := tw.Run(ctx, "exchange", "import", "--from", county, file); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(string(out), "0 batches refused") {
		t.Fatalf("import: %s", out)
	}
	// Imported twice: nothing twice.
	if out, err := tw.Run(ctx, "exchange", "import", "--from", county, file); err != nil || !strings.Contains(string(out), " 0 facts applied") {
		t.Fatalf("second import: %v %s", err, out)
	}
	pn, twn := openNode(t, P), openNode(t, tw)
	compare(t, "province (JetStream)", pn, "twin (file)", twn, want)

	step("file imported and compared")
	// The repair withdrew the record at the province too; the revoked
	// record is revoked there.
	marks, err := pn.Marks.Marks(ctx, []string{repaired})
	must(err)
	if !marks[repaired].Repaired {
		t.Errorf("the county's repair of %s did not reach the province", repaired)
	}
	// The forged and the mismatched batch were refused and audited.
	audit, err := pn.Store.Audit(ctx, credit.AuditFilter{Limit: 1000})
	must(err)
	refused := map[string]bool{}
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "exchange.refuse.") {
			refused[a.Action+" "+a.Target] = true
		}
	}
	if !refused["exchange.refuse.signature "+county] || !refused["exchange.refuse.mismatch "+city] {
		t.Errorf("refusals audited at the province: %v", refused)
	}
	// The twin, bootstrapped from the file (a snapshot at a position), now
	// follows the county's deltas over JetStream: the stream's batches it
	// has by file are skipped (cut at other positions than the file's),
	// the new ones applied.
	t0 := time.Now()
	must(tw.Start(ctx))
	imp(C, "SAMR-350102", "admin_penalty", gen(5, "admin_penalty", "SAMR-350102"))
	t.Logf("twin started, more imported: %v", time.Since(t0))
	more := ownRecords(t, openNode(t, C))
	if len(more) <= len(want) {
		t.Fatalf("no new records at the county: %d, were %d", len(more), len(want))
	}
	waitFor(t, tw, county, more)
	t.Logf("twin in step: %v", time.Since(t0))
	waitFor(t, P, county, more)

	// The status command reports the peers.
	out, err := P.Run(ctx, "exchange", "status", "--json")
	must(err)
	if !strings.Contains(string(out), `"id": "`+county+`"`) {
		t.Errorf("status: %s", out)
	}
}

// openNode opens a node's store in the test's process (another node of
// the same installation).
func openNode(t *testing.T, n *federation.Node) *app.App {
	t.Helper()
	cfg := &config.Config{DB: n.DB, DataKey: n.DataKey, NodeKey: n.NodeKey, LogLevel: "error", LogFormat: "text"}
	a, err := app.Open(t.Context(), cfg, app.Parts{NoSearchIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

// ownRecords is every record a node wrote itself (not applied from
// another), its fields opened and its subject named by subjectKey.
func ownRecords(t *testing.T, a *app.App) map[string]credit.Record {
	t.Helper()
	ctx := t.Context()
	out := map[string]credit.Record{}
	var after int64
	for {
		cs, err := a.Store.ChangesSince(ctx, after, 10000, credit.ChangeRecord)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return out
		}
		pos := make([]int64, len(cs))
		for i, c := range cs {
			pos[i] = c.Pos
		}
		foreign, err := a.Store.AppliedPositions(ctx, pos)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if foreign[c.Pos] {
				continue
			}
			r, err := a.Store.Record(ctx, c.Ref)
			if err != nil {
				t.Fatal(err)
			}
			r.Fields = openFields(t, a, r.Fields)
			r.SubjectID = subjectKey(t, a, r.SubjectID)
			out[r.ID] = *r
		}
		after = cs[len(cs)-1].Pos
	}
}

// subjectKey names a subject the same on every node: an organisation by
// its code, a natural person by its ID number (each node keys persons
// with its own data key).
func subjectKey(t *testing.T, a *app.App, id string) string {
	t.Helper()
	s, err := a.Store.Subject(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != credit.Person {
		return s.ID
	}
	idno, err := a.Sealer.Open(s.IDCipher)
	if err != nil {
		t.Fatal(err)
	}
	return "person:" + idno
}

// openFields opens sealed fields with the node's key (each node seals
// with its own).
func openFields(t *testing.T, a *app.App, f credit.Fields) credit.Fields {
	t.Helper()
	out := credit.Fields{}
	for k, v := range f {
		if pii.IsSealedField(v) {
			c, err := a.Sealer.OpenField(v)
			if err != nil {
				t.Fatal(err)
			}
			v = c
		}
		out[k] = v
	}
	return out
}

func maps(f credit.Fields) credit.Fields {
	out := credit.Fields{}
	for k, v := range f {
		out[k] = v
	}
	return out
}

// waitFor waits until node n has applied every record of want from
// origin, then checks each is there once and as the origin wrote it.
func waitFor(t *testing.T, n *federation.Node, origin string, want map[string]credit.Record) {
	t.Helper()
	a := openNode(t, n)
	ctx := t.Context()
	deadline := time.Now().Add(3 * time.Minute) // a bound on a hang, not a measure
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	for {
		have, err := a.Store.AppliedFacts(ctx, origin, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(have) == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d of %d records of %s\n%s", n.ID, len(have), len(ids), origin, n.Tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for id, w := range want {
		got, err := a.Store.Record(ctx, id)
		if err != nil {
			t.Fatalf("%s: record %s: %v", n.ID, id, err)
		}
		got.SubjectID = subjectKey(t, a, got.SubjectID)
		sameRecord(t, n.ID, w, *got, openFields(t, a, got.Fields))
	}
}

func sameRecord(t *testing.T, where string, w, g credit.Record, gf credit.Fields) {
	t.Helper()
	if g.SubjectID != w.SubjectID || g.Item != w.Item || g.Fact != w.Fact || g.Supersedes != w.Supersedes || g.Dept != w.Dept ||
		g.DocNo != w.DocNo || !g.DecidedOn.Equal(w.DecidedOn) || g.Severity != w.Severity || g.Reason != w.Reason {
		t.Errorf("%s: record %s differs:\n got %+v\nwant %+v", where, w.ID, g, w)
	}
	keys := func(f credit.Fields) []string {
		var ks []string
		for k := range f {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if !slices.Equal(keys(gf), keys(w.Fields)) {
		t.Errorf("%s: record %s fields %v, want %v", where, w.ID, keys(gf), keys(w.Fields))
	}
	for k, v := range w.Fields {
		if gf[k] != v {
			t.Errorf("%s: record %s field %s = %q, want %q", where, w.ID, k, gf[k], v)
		}
	}
}

// compare checks that two nodes hold the same facts of the origin, fact
// by fact: the same records, list entries and cases.
func compare(t *testing.T, an string, a *app.App, bn string, b *app.App, want map[string]credit.Record) {
	t.Helper()
	ctx := t.Context()
	for id := range want {
		ra, err := a.Store.Record(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", an, err)
		}
		rb, err := b.Store.Record(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", bn, err)
		}
		ra.Fields = openFields(t, a, ra.Fields)
		ra.SubjectID, rb.SubjectID = subjectKey(t, a, ra.SubjectID), subjectKey(t, b, rb.SubjectID)
		sameRecord(t, bn, *ra, *rb, openFields(t, b, rb.Fields))
	}
	na, _ := a.Store.CountRecords(ctx)
	nb, _ := b.Store.CountRecords(ctx)
	if nb > na {
		t.Errorf("%s holds %d records, %s %d", bn, nb, an, na)
	}
}

// lastOwn is the position of the newest change a node wrote itself.
func lastOwn(t *testing.T, a *app.App) int64 {
	t.Helper()
	var last, after int64
	for {
		cs, err := a.Store.ChangesSince(t.Context(), after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return last
		}
		pos := make([]int64, len(cs))
		for i, c := range cs {
			pos[i] = c.Pos
		}
		foreign, err := a.Store.AppliedPositions(t.Context(), pos)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if !foreign[c.Pos] && c.Kind == credit.ChangeRecord {
				last = c.Pos
			}
		}
		after = cs[len(cs)-1].Pos
	}
}

// waitMoving waits until node n has applied some, not all, of origin's
// feed: it is in the middle of the stream.
func waitMoving(t *testing.T, n *federation.Node, origin string) {
	t.Helper()
	a := openNode(t, n)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c, err := a.Store.ExchangeCursor(t.Context(), origin)
		if err != nil {
			t.Fatal(err)
		}
		if c.Facts > 0 {
			return
		}
	}
	t.Fatalf("%s applies nothing of %s", n.ID, origin)
}
