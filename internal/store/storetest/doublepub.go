package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testFindRecords: the 双公示 search's store query finds originals only,
// by item, department, the start of the document number (its LIKE
// wildcards matching themselves) and the decision date, newest decision
// first, in pages.
func testFindRecords(t *testing.T, s credit.Store) {
	ctx := t.Context()
	if err := s.PutSubject(ctx, org("91350100M000100Y43", "福州示例科技有限公司")); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	mk := func(item, dept, doc string, d int) credit.Record {
		r := rec("91350100M000100Y43", doc)
		r.Item, r.Dept, r.DecidedOn = item, dept, day(d)
		return r
	}
	recs := []credit.Record{
		mk("XZCF", "SAMR", "榕市监罚〔2026〕1号", 3),
		mk("XZCF", "SAMR", "榕市监罚〔2026〕2号", 9),
		mk("XZCF", "TAX", "榕税罚〔2026〕1号", 5),
		mk("XZXK", "SAMR", "榕市监许〔2026〕7号", 7),
		mk("XZCF", "SAMR", "榕市监罚_2026%1号", 1),
		mk("OTHER", "SAMR", "榕市监罚〔2026〕9号", 8),
	}
	if err := s.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	corr := follow(recs[0], credit.Correction, "更正")
	corr.DocNo = "榕市监罚〔2026〕1号"
	if err := s.AppendRecords(ctx, []credit.Record{corr}); err != nil {
		t.Fatal(err)
	}
	docs := func(q credit.RecordQuery) []string {
		t.Helper()
		out, err := s.FindRecords(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var ds []string
		for _, r := range out {
			if r.Fact != credit.Original {
				t.Errorf("a %s fact found", r.Fact)
			}
			ds = append(ds, r.DocNo)
		}
		return ds
	}
	both := []string{"XZCF", "XZXK"}
	for _, tc := range []struct {
		name string
		q    credit.RecordQuery
		want []string
	}{
		{"both items, newest first", credit.RecordQuery{Items: both},
			[]string{"榕市监罚〔2026〕2号", "榕市监许〔2026〕7号", "榕税罚〔2026〕1号", "榕市监罚〔2026〕1号", "榕市监罚_2026%1号"}},
		{"one department", credit.RecordQuery{Items: both, Dept: "TAX"}, []string{"榕税罚〔2026〕1号"}},
		{"a document number's start", credit.RecordQuery{Items: both, DocNo: "榕市监罚〔"}, []string{"榕市监罚〔2026〕2号", "榕市监罚〔2026〕1号"}},
		{"wildcards match themselves", credit.RecordQuery{Items: both, DocNo: "榕市监罚_"}, []string{"榕市监罚_2026%1号"}},
		{"dates", credit.RecordQuery{Items: both, From: day(3), To: day(8)}, []string{"榕市监许〔2026〕7号", "榕税罚〔2026〕1号", "榕市监罚〔2026〕1号"}},
		{"licences", credit.RecordQuery{Items: []string{"XZXK"}}, []string{"榕市监许〔2026〕7号"}},
		{"a page", credit.RecordQuery{Items: both, Offset: 1, Limit: 2}, []string{"榕市监许〔2026〕7号", "榕税罚〔2026〕1号"}},
	} {
		if got := docs(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := s.FindRecords(ctx, credit.RecordQuery{}); !credit.Is(credit.Invalid, err) {
		t.Errorf("no items: %v", err)
	}
	if _, err := s.FindRecords(ctx, credit.RecordQuery{Items: both, Offset: 20000}); !credit.Is(credit.Invalid, err) {
		t.Errorf("offset past the bound: %v", err)
	}
}
