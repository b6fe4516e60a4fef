package exchange_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// node is one platform under test with its exchange identity.
type node struct {
	*apptest.Env
	id string
}

func transit(t *testing.T) *pii.Sealer {
	s, err := pii.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newNode(t *testing.T, id, level, region, backend string) *node {
	t.Helper()
	return newNodeKeyed(t, id, level, region, backend, nil, transit(t))
}

// newNodeKeyed is newNode with its own data key (nil: the tests' key)
// and exchange key (nil: none).
func newNodeKeyed(t *testing.T, id, level, region, backend string, dataKey, exchangeKey *pii.Sealer) *node {
	t.Helper()
	ctx := context.Background()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	st := apptest.Store(t, backend)
	n := credit.Node{ID: id, Level: level, Region: region, Name: id + " platform", PublicKey: priv.Public().(ed25519.PublicKey)}
	if err := st.PutExchangeNode(ctx, &n); err != nil {
		t.Fatal(err)
	}
	env := apptest.New(t, apptest.Options{Store: st, NoSearchIndex: true, Sealer: dataKey,
		Exchange: app.ExchangeParts{Identity: &exchange.Identity{Node: n, Key: priv}, Transit: exchangeKey}})
	return &node{Env: env, id: id}
}

// link makes lower a subordinate of upper and upper a superior of lower.
func link(t *testing.T, lower, upper *node) {
	t.Helper()
	ctx := context.Background()
	up := upper.Exchange.Identity().Node
	low := lower.Exchange.Identity().Node
	must(t, lower.Store.PutPeer(ctx, &credit.Peer{ID: up.ID, Relation: credit.PeerSuperior, Transport: credit.TransportFile, PublicKey: up.PublicKey, Level: up.Level, Region: up.Region}))
	must(t, upper.Store.PutPeer(ctx, &credit.Peer{ID: low.ID, Relation: credit.PeerSubordinate, Transport: credit.TransportFile, PublicKey: low.PublicKey, Level: low.Level, Region: low.Region}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ferry carries from's whole feed for to across as a file.
func ferry(t *testing.T, from, to *node) *exchange.ImportResult {
	t.Helper()
	ctx := context.Background()
	cur, err := to.Store.ExchangeCursor(ctx, from.id)
	must(t, err)
	var buf bytes.Buffer
	if _, _, err := from.Exchange.Export(ctx, to.id, cur.Pos, &buf); err != nil {
		t.Fatal(err)
	}
	res, err := to.Exchange.Import(ctx, &buf, from.id)
	must(t, err)
	if len(res.Errors) > 0 {
		t.Fatalf("import into %s: %v", to.id, res.Errors)
	}
	return res
}

func penalty(sub *credit.Subject, doc string) credit.Fields {
	authority := uscc.NewGenerator(9).USCC('1', '1', "350100")
	return credit.Fields{
		"cf_xdr_mc": sub.Name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": sub.Code, "cf_frdb": "王伟",
		"cf_wsh": doc, "cf_wfxw": "经营超过保质期的食品", "cf_sy": "经查……", "cf_yj": "《食品安全法》第一百二十四条",
		"cf_cflb": "罚款", "cf_nr": "罚款两万元", "cf_nr_fk": "2", "cf_jdrq": "2026-09-01",
		"cf_cfjg": "福州市鼓楼区市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市鼓楼区市场监督管理局", "cf_sjlydm": authority,
	}
}

func TestRecordCorrectionRepairFlowUp(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	province := newNode(t, "fujian", credit.LevelProvince, "350000", "")
	link(t, county, province)

	sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(3).USCC('9', '1', "350102"), Name: "福州鼓楼恒泰商贸有限公司"})
	must(t, err)
	rec, _, err := county.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, "鼓市监罚〔2026〕7号")})
	must(t, err)

	res := ferry(t, county, province)
	if res.Applied < 2 {
		t.Fatalf("applied %d facts, want the subject and the record: %+v", res.Applied, res)
	}
	got, err := province.Store.Record(ctx, rec.ID)
	must(t, err)
	if got.Dept != "SAMR-350102" || got.DocNo != rec.DocNo || got.Severity != rec.Severity {
		t.Fatalf("record at the province: %+v", got)
	}
	if o, _ := province.Store.AppliedOrigin(ctx, rec.ID); o != "gulou" {
		t.Fatalf("origin of the record at the province: %q", o)
	}
	// Again: nothing twice.
	if res := ferry(t, county, province); res.Applied != 0 {
		t.Fatalf("second ferry applied %d", res.Applied)
	}
	var again bytes.Buffer
	_, _, err = county.Exchange.Export(ctx, "fujian", 0, &again)
	must(t, err)
	res2, err := province.Exchange.Import(ctx, &again, "")
	must(t, err)
	if res2.Applied != 0 {
		t.Fatalf("re-import from 0 applied %d", res2.Applied)
	}
	// The province's own feed does not send the county's facts back up
	// or anywhere: they are not its own.
	prod, err := province.Exchange.Produce(ctx, &credit.Peer{ID: "gulou", Relation: credit.PeerSuperior}, 0, true, 0)
	must(t, err)
	if len(prod.Batch.Facts) != 0 {
		t.Fatalf("the province's feed holds the county's facts: %+v", prod.Batch.Facts)
	}

	// A correction, then a granted repair at the county: the province's
	// public page withdraws the record.
	corr, err := county.Records.Correct(ctx, rec.ID, "SAMR-350102", "罚款金额更正", penalty(sub, "鼓市监罚〔2026〕7号"))
	must(t, err)
	ferry(t, county, province)
	if _, err := province.Store.Record(ctx, corr.ID); err != nil {
		t.Fatalf("correction at the province: %v", err)
	}
	subj := workflow.Actor{Name: "甲乙", Role: credit.RoleSubject, Subject: sub.ID}
	unit := workflow.Actor{Name: "officer", Role: credit.RoleDept, Dept: "SAMR-350102"}
	rc, _, err := county.Workflow.FileRepair(ctx, subj, workflow.Repair{SubjectID: sub.ID, RecordID: rec.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true})
	must(t, err)
	must(t, county.Workflow.AcceptRepair(ctx, unit, rc.ID))
	must(t, county.Workflow.ApproveRepair(ctx, unit, rc.ID, "准予修复"))
	ferry(t, county, province)
	marks, err := province.Marks.Marks(ctx, []string{rec.ID})
	must(t, err)
	if !marks[rec.ID].Repaired {
		t.Fatalf("the repair did not reach the province: %+v", marks)
	}
	c, err := province.Store.Case(ctx, rc.ID)
	must(t, err)
	if c.Open || c.State != workflow.StateRepaired {
		t.Fatalf("case at the province: %+v", c)
	}
}

func TestListDecidedAboveReachesHitCheckBelow(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	city := newNode(t, "fuzhou", credit.LevelCity, "350100", "")
	link(t, county, city)

	// A court's 失信被执行人 reported at the city reaches the county's hit
	// check; its revocation at the city lifts the measures there.
	sub, err := city.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(4).USCC('9', '1', "350102"), Name: "福州失信示例有限公司"})
	must(t, err)
	rec, _, err := city.Records.Append(ctx, records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: sub.ID, Fields: credit.Fields{
		"sx_bzxr_mc": sub.Name, "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": sub.Code, "sx_fddbr": "张三",
		"sx_ah": "（2026）闽01执7号", "sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初1号",
		"sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付货款", "sx_lxqk": "全部未履行", "sx_qx": "违反财产报告制度",
		"sx_fbrq": "2026-10-12"}})
	must(t, err)
	// A penalty at the city does not go down: it is not a list decision.
	pen, _, err := city.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: penalty(sub, "榕市监罚〔2026〕3号")})
	must(t, err)
	ferry(t, city, county)
	must(t, county.Sync(ctx))
	procure := sanction.Caller{Name: "procure", Dept: "FIN-350100", Matters: []string{"gov_procurement"}}
	check := func() sanction.Result {
		t.Helper()
		r, err := county.Sanction.Check(ctx, procure, sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: sub.Code}}})
		must(t, err)
		return r.Results[0]
	}
	if r := check(); !r.Listed || len(r.Measures) == 0 {
		t.Fatalf("the court's list did not reach the county's hit check: %+v", r)
	}
	if _, err := county.Store.Record(ctx, pen.ID); !credit.Is(credit.NotFound, err) {
		t.Fatalf("the city's penalty went down: %v", err)
	}
	if _, err := city.Records.Revoke(ctx, rec.ID, "COURT-350100", "已撤销失信决定"); err != nil {
		t.Fatal(err)
	}
	ferry(t, city, county)
	must(t, county.Sync(ctx))
	if r := check(); r.Listed || len(r.Measures) != 0 {
		t.Fatalf("the revocation at the city did not lift the measures at the county: %+v", r)
	}
}

// TestEntryDecidedElsewhereIsReadOnly: an entry the city decided on its
// platform applies in the county's hit check, and the county cannot change
// it; the removal at the city lifts it.
func TestEntryDecidedElsewhereIsReadOnly(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	city := newNode(t, "fuzhou", credit.LevelCity, "350100", "")
	link(t, county, city)
	sub, err := city.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(12).USCC('9', '1', "350102"), Name: "福州严重失信示例有限公司"})
	must(t, err)
	ev := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "key_watch", SubjectID: sub.ID, Step: credit.StepDecided,
		Actor: "reviewer", Dept: "CREDIT-350100", At: city.Clock.Now(), DocNo: "榕信严〔2026〕1号",
		Detail: credit.EntryDetail{Grounds: "严重失信", SubjectName: sub.Name, SubjectKind: sub.Kind, Since: city.Clock.Now().Add(-time.Hour)}}
	must(t, city.Store.AppendListEvent(ctx, ev, 0))
	ferry(t, city, county)
	must(t, county.Sync(ctx))
	e, err := county.Sanction.Entry(ctx, ev.EntryID)
	must(t, err)
	if e.Detail.Origin != "fuzhou" || e.State != credit.StepDecided {
		t.Fatalf("entry at the county: %+v", e)
	}
	_, err = county.Sanction.Remove(ctx, sanction.Actor{Name: "admin", Role: credit.RoleAdmin}, e.ID, sanction.RemovalInput{Reason: sanction.RemoveRevocation, Note: "x"})
	if !credit.Is(credit.Permission, err) || credit.Chinese(err) == "" {
		t.Fatalf("the county changed the city's entry: %v", err)
	}
	rm := &credit.ListEvent{ID: credit.NewID(), EntryID: ev.EntryID, List: ev.List, SubjectID: sub.ID, Step: credit.StepRemoved,
		Actor: "reviewer", Dept: "CREDIT-350100", At: city.Clock.Now(), Detail: credit.EntryDetail{RemovalReason: sanction.RemoveRevocation}}
	must(t, city.Store.AppendListEvent(ctx, rm, ev.Seq))
	ferry(t, city, county)
	must(t, county.Sync(ctx))
	if e, _ := county.Sanction.Entry(ctx, ev.EntryID); e.State != credit.StepRemoved {
		t.Fatalf("the removal at the city did not reach the county: %+v", e)
	}
}

func TestForgedAndMismatchedBatchesRefused(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	province := newNode(t, "fujian", credit.LevelProvince, "350000", "")
	link(t, county, province)
	sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(5).USCC('9', '1', "350102"), Name: "福州鼓楼示例有限公司"})
	must(t, err)
	_, _, err = county.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, "鼓市监罚〔2026〕9号")})
	must(t, err)
	var buf bytes.Buffer
	_, _, err = county.Exchange.Export(ctx, "fujian", 0, &buf)
	must(t, err)
	good := buf.Bytes()

	_, strangerKey, _ := ed25519.GenerateKey(nil)
	stranger := mustDecode(t, good, county)
	cases := []struct {
		name, reason string
		data         []byte
		want         string
	}{
		{"altered fact", exchange.RefuseSignature, bytes.Replace(good, []byte("罚款两万元"), []byte("罚款二十万元"), 1), ""},
		{"signed by another key", exchange.RefuseMismatch, reencode(t, stranger, strangerKey), ""},
		{"unknown origin", exchange.RefuseOrigin, reencode(t, withOrigin(stranger, "nowhere"), strangerKey), ""},
		{"other schema", exchange.RefuseSchema, bytes.Replace(good, []byte(`"xinyong_feed":1`), []byte(`"xinyong_feed":9`), 1), ""},
		{"on another origin's channel", exchange.RefuseMismatch, good, "fuzhou"},
		{"no signature", exchange.RefuseMalformed, good[:bytes.LastIndex(bytes.TrimRight(good, "\n"), []byte("\n"))+1], ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := province.Exchange.Apply(ctx, c.data, "test", c.want)
			var re *exchange.RefusedError
			if !errors.As(err, &re) || re.Reason != c.reason {
				t.Fatalf("got %v, want refusal %s", err, c.reason)
			}
			if credit.Chinese(err) == "" {
				t.Errorf("refusal without Chinese: %v", err)
			}
		})
	}
	if n, _ := province.Store.CountRecords(ctx); n != 0 {
		t.Fatalf("refused batches wrote %d records", n)
	}
	audit, err := province.Store.Audit(ctx, credit.AuditFilter{Limit: 100})
	must(t, err)
	refusals := 0
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "exchange.refuse.") {
			refusals++
		}
	}
	if refusals != len(cases) {
		t.Errorf("%d refusals audited, want %d", refusals, len(cases))
	}
	// The good batch is applied after all.
	if _, err := province.Exchange.Apply(ctx, good, "test", "gulou"); err != nil {
		t.Fatal(err)
	}
	if n, _ := province.Store.CountRecords(ctx); n != 1 {
		t.Fatalf("records after the good batch: %d", n)
	}
}

func mustDecode(t *testing.T, data []byte, origin *node) *exchange.Batch {
	t.Helper()
	id := origin.Exchange.Identity()
	b, err := exchange.Decode(data, func(string) (ed25519.PublicKey, bool) { return id.Key.Public().(ed25519.PublicKey), true }, "")
	must(t, err)
	return b
}

func reencode(t *testing.T, b *exchange.Batch, key ed25519.PrivateKey) []byte {
	t.Helper()
	data, err := exchange.Encode(b, key)
	must(t, err)
	return data
}

func withOrigin(b *exchange.Batch, origin string) *exchange.Batch {
	c := *b
	c.Header.Origin = origin
	return &c
}

var _ = time.Second

// TestHeldUntilCatalogueHasIt: a fact about an item the receiver's
// catalogue lacks is held (reported, the rest of the batch applied, the
// cursor moved on), and applied, with its correction, once the catalogue
// has the item.
func TestHeldUntilCatalogueHasIt(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	st := apptest.Store(t, "")
	_, priv, _ := ed25519.GenerateKey(nil)
	n := credit.Node{ID: "fujian", Level: credit.LevelProvince, Region: "350000", Name: "省平台", PublicKey: priv.Public().(ed25519.PublicKey)}
	must(t, st.PutExchangeNode(ctx, &n))
	parts := app.ExchangeParts{Identity: &exchange.Identity{Node: n, Key: priv}, Transit: transit(t)}
	province := &node{Env: apptest.New(t, apptest.Options{Store: st, NoSearchIndex: true, Exchange: parts, Catalog: catalogWithout(t, "contract_performance")}), id: "fujian"}
	link(t, county, province)

	sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(6).USCC('9', '1', "350102"), Name: "福州鼓楼合同示例有限公司"})
	must(t, err)
	contract := func(state string) credit.Fields {
		return credit.Fields{"ht_mc": sub.Name, "ht_lb": "法人及非法人组织", "ht_shxym": sub.Code, "ht_bh": "GL-HT-2026-01", "ht_htmc": "办公设备采购合同",
			"ht_lx": "政府采购合同", "ht_xdf": "福州市鼓楼区财政局", "ht_qdrq": "2026-03-01", "ht_lxqk": state, "ht_rdrq": "2026-10-01", "ht_rddw": "福州市鼓楼区财政局"}
	}
	rec, _, err := county.Records.Append(ctx, records.Report{Item: "contract_performance", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: contract("违约")})
	must(t, err)
	corr, err := county.Records.Correct(ctx, rec.ID, "SAMR-350102", "履约情况更正", contract("履行完毕"))
	must(t, err)
	pen, _, err := county.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, "鼓市监罚〔2026〕11号")})
	must(t, err)

	res := ferry(t, county, province)
	if res.Held != 2 {
		t.Fatalf("held %d facts, want the contract record and its correction: %+v", res.Held, res)
	}
	if _, err := province.Store.Record(ctx, pen.ID); err != nil {
		t.Fatalf("the penalty of the same batch was not applied: %v", err)
	}
	if _, err := province.Store.Record(ctx, rec.ID); !credit.Is(credit.NotFound, err) {
		t.Fatalf("a held record was applied: %v", err)
	}
	status, err := province.Exchange.Status(ctx)
	must(t, err)
	if len(status.Held) != 2 || status.Peers[0].Held != 2 || !strings.Contains(status.Held[0].Reason, "contract_performance") {
		t.Fatalf("status: %+v", status)
	}
	// Nothing more arrives: held facts are not held twice.
	if res := ferry(t, county, province); res.Held != 0 || res.Applied != 0 {
		t.Fatalf("second ferry: %+v", res)
	}

	// The administrator adds the item: the node, started again, applies
	// what it held, in order.
	again := apptest.New(t, apptest.Options{Store: st, NoSearchIndex: true, Exchange: parts})
	n2, err := again.Exchange.RetryHeld(ctx)
	must(t, err)
	if n2 != 2 {
		t.Fatalf("retry applied %d, want 2", n2)
	}
	if _, err := again.Store.Record(ctx, corr.ID); err != nil {
		t.Fatalf("the correction after the retry: %v", err)
	}
	if h, _ := again.Store.HeldFacts(ctx, "", 0); len(h) != 0 {
		t.Fatalf("still held: %+v", h)
	}
	cur, _ := again.Store.ExchangeCursor(ctx, "gulou")
	if cur.Facts != int64(res.Applied+res.Held) {
		t.Errorf("cursor counts %d facts, want %d", cur.Facts, res.Applied+res.Held)
	}
}

// catalogWithout is the embedded catalogue without an item (and the
// mentions of it in the lists).
func catalogWithout(t *testing.T, item string) *catalog.Catalog {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"items.json", "lists.json"} {
		b, err := os.ReadFile(filepath.Join("..", "catalog", "data", name))
		must(t, err)
		s := string(b)
		if name == "lists.json" {
			s = strings.ReplaceAll(s, `, "`+item+`"`, "")
		} else {
			var doc map[string]any
			must(t, json.Unmarshal(b, &doc))
			var keep []any
			for _, it := range doc["items"].([]any) {
				if it.(map[string]any)["code"] != item {
					keep = append(keep, it)
				}
			}
			doc["items"] = keep
			out, err := json.Marshal(doc)
			must(t, err)
			s = string(out)
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600))
	}
	cat, err := catalog.Load(dir)
	must(t, err)
	if _, err := cat.Item(item); err == nil {
		t.Fatalf("%s still in the catalogue", item)
	}
	return cat
}

// TestBatchesCutBySize: a batch ends before the fact that would pass the
// transport's largest message, and the next batch starts there: every
// fact arrives, once.
func TestBatchesCutBySize(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	province := newNode(t, "fujian", credit.LevelProvince, "350000", "")
	link(t, county, province)
	g := uscc.NewGenerator(21)
	var want []string
	for i := range 12 {
		sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: g.USCC('9', '1', "350102"), Name: "分批示例公司" + strconv.Itoa(i)})
		must(t, err)
		rec, _, err := county.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, "鼓市监罚〔2026〕分"+strconv.Itoa(i)+"号")})
		must(t, err)
		want = append(want, rec.ID)
	}
	peer, err := county.Exchange.Peer(ctx, "fujian")
	must(t, err)
	var pos int64
	batches := 0
	for {
		prod, err := county.Exchange.Produce(ctx, peer, pos, pos == 0, 6000)
		must(t, err)
		h := prod.Batch.Header
		if h.To <= pos {
			break
		}
		data, err := exchange.Encode(prod.Batch, county.Exchange.Identity().Key)
		must(t, err)
		if len(prod.Batch.Facts) > 1 && len(data) > 6000+1024 {
			t.Fatalf("batch of %d bytes over the limit", len(data))
		}
		if _, err := province.Exchange.Apply(ctx, data, "test", "gulou"); err != nil {
			t.Fatal(err)
		}
		batches++
		pos = h.To
	}
	if batches < 4 {
		t.Fatalf("%d batches: the limit did not cut them", batches)
	}
	done, err := province.Store.AppliedFacts(ctx, "gulou", want)
	must(t, err)
	if len(done) != len(want) {
		t.Fatalf("%d of %d records arrived in %d batches", len(done), len(want), batches)
	}
	if n, _ := province.Store.CountRecords(ctx); n != len(want) {
		t.Fatalf("%d records at the province, want %d", n, len(want))
	}
}

func sealerOf(t *testing.T, b byte) *pii.Sealer {
	s, err := pii.New(bytes.Repeat([]byte{b}, 32))
	must(t, err)
	return s
}

// TestPersonsTravelSealed: a court's 失信被执行人 who is a natural person,
// reported at the city, reaches the county's hit check by ID number,
// though the two nodes key persons with different data keys: the number
// travels sealed with the federation's exchange key. Without an exchange
// key the person's facts stay at the city, and a node without one holds
// what it cannot open.
func TestPersonsTravelSealed(t *testing.T) {
	ctx := context.Background()
	county := newNodeKeyed(t, "gulou", credit.LevelCounty, "350102", "", sealerOf(t, 1), transit(t))
	city := newNodeKeyed(t, "fuzhou", credit.LevelCity, "350100", "", sealerOf(t, 2), transit(t))
	link(t, county, city)
	idno := uscc.NewGenerator(31).ResidentID("350102", time.Date(1980, 5, 1, 0, 0, 0, 0, time.UTC), true)
	p, err := city.Records.PutPerson(ctx, "王某某", idno)
	must(t, err)
	rec, _, err := city.Records.Append(ctx, records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: p.ID, Fields: credit.Fields{
		"sx_bzxr_mc": "王某某", "sx_bzxr_lb": "自然人", "sx_zjhm": idno,
		"sx_ah": "（2026）闽01执9号", "sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初9号",
		"sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付欠款", "sx_lxqk": "全部未履行", "sx_qx": "违反财产报告制度",
		"sx_fbrq": "2026-10-12"}})
	must(t, err)
	var buf bytes.Buffer
	_, _, err = city.Exchange.Export(ctx, "gulou", 0, &buf)
	must(t, err)
	if bytes.Contains(buf.Bytes(), []byte(idno)) {
		t.Fatal("the ID number is on the wire in clear")
	}
	res, err := county.Exchange.Import(ctx, &buf, "fuzhou")
	must(t, err)
	if len(res.Errors) > 0 || res.Held > 0 {
		t.Fatalf("import: %+v", res)
	}
	must(t, county.Sync(ctx))
	local, err := county.Records.PersonByID(ctx, idno)
	if err != nil {
		t.Fatalf("the person is not at the county: %v", err)
	}
	if local.ID == p.ID {
		t.Fatalf("the county keyed the person with the city's key")
	}
	got, err := county.Store.Record(ctx, rec.ID)
	must(t, err)
	if got.SubjectID != local.ID || got.Fields["sx_zjhm"] == idno || !pii.IsSealedField(got.Fields["sx_zjhm"]) {
		t.Fatalf("record at the county: %+v", got)
	}
	if clear, err := county.Sealer.OpenField(got.Fields["sx_zjhm"]); err != nil || clear != idno {
		t.Fatalf("the county's seal of the number: %q %v", clear, err)
	}
	r, err := county.Sanction.Check(ctx, sanction.Caller{Name: "procure", Dept: "FIN-350100", Matters: []string{"gov_procurement"}},
		sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: idno}}})
	must(t, err)
	if !r.Results[0].Listed {
		t.Fatalf("the person is not listed in the county's hit check: %+v", r.Results[0])
	}

	// Without an exchange key, the city sends nothing about persons.
	plain := newNodeKeyed(t, "fuzhou2", credit.LevelCity, "350100", "", sealerOf(t, 2), nil)
	other := newNodeKeyed(t, "gulou2", credit.LevelCounty, "350102", "", sealerOf(t, 1), nil)
	link(t, other, plain)
	p2, err := plain.Records.PutPerson(ctx, "李某", idno)
	must(t, err)
	_, _, err = plain.Records.Append(ctx, records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: p2.ID, Fields: credit.Fields{
		"sx_bzxr_mc": "李某", "sx_bzxr_lb": "自然人", "sx_zjhm": idno,
		"sx_ah": "（2026）闽01执10号", "sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初9号",
		"sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付欠款", "sx_lxqk": "全部未履行", "sx_qx": "违反财产报告制度",
		"sx_fbrq": "2026-10-12"}})
	must(t, err)
	peer, err := plain.Exchange.Peer(ctx, "gulou2")
	must(t, err)
	prod, err := plain.Exchange.Produce(ctx, peer, 0, true, 0)
	must(t, err)
	if len(prod.Batch.Facts) != 0 || prod.Withheld == 0 {
		t.Fatalf("without an exchange key: %d facts sent, %d withheld", len(prod.Batch.Facts), prod.Withheld)
	}
}

// TestMetrics: the exchange's metrics say what was applied, refused and
// held, and where each peer stands.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	county := newNode(t, "gulou", credit.LevelCounty, "350102", "")
	province := newNode(t, "fujian", credit.LevelProvince, "350000", "")
	link(t, county, province)
	reg := prometheus.NewRegistry()
	must(t, province.Exchange.RegisterMetrics(reg))
	sub, err := county.Records.PutOrganisation(ctx, records.Organisation{Code: uscc.NewGenerator(41).USCC('9', '1', "350102"), Name: "度量示例有限公司"})
	must(t, err)
	_, _, err = county.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350102", SubjectID: sub.ID, Fields: penalty(sub, "鼓市监罚〔2026〕41号")})
	must(t, err)
	var buf bytes.Buffer
	_, _, err = county.Exchange.Export(ctx, "fujian", 0, &buf)
	must(t, err)
	good := buf.Bytes()
	_, _ = province.Exchange.Apply(ctx, bytes.Replace(good, []byte(`"op":"`), []byte(`"op":"X`), 1), "test", "gulou")
	_, err = province.Exchange.Apply(ctx, good, "test", "gulou")
	must(t, err)
	province.Exchange.ObserveNow(ctx)
	mfs, err := reg.Gather()
	must(t, err)
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	for name, want := range map[string]float64{
		"xinyong_exchange_applied_facts_total{origin=gulou}":                    2,
		"xinyong_exchange_refused_batches_total{origin=gulou,reason=signature}": 1,
		"xinyong_exchange_held_facts{origin=gulou}":                             0,
		"xinyong_exchange_lag_facts{origin=gulou}":                              0,
		"xinyong_exchange_propagation_seconds{}":                                1,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (%v), want %v", name, v, ok, want)
		}
	}
	if got["xinyong_exchange_position{origin=gulou}"] <= 0 {
		t.Errorf("position: %v", got)
	}
}
