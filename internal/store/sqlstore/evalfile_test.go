package sqlstore

import (
	"encoding/hex"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// randomFile is a subject's records with repeats (items, departments, keys,
// superseded IDs) and blanks, as the copies must carry them.
func randomFile(r *rand.Rand, subject string) []credit.Record {
	var out []credit.Record
	for i := range r.IntN(15) {
		rec := credit.Record{ID: "0190" + strconv.Itoa(1000+i), SubjectID: subject,
			Item: []string{"admin_penalty", "honour", "credit_commitment"}[r.IntN(3)], Catalog: "2024.1",
			Fact: credit.Original, Dept: []string{"SAMR-350100", "TAX-350100"}[r.IntN(2)], DocNo: "榕罚〔2025〕" + strconv.Itoa(r.IntN(99)) + "号",
			Severity: credit.Severity([]string{"", "轻微", "一般", "严重"}[r.IntN(4)]), Kind: credit.Organisation}
		if r.IntN(4) > 0 {
			rec.DecidedOn = time.UnixMicro(r.Int64N(2e15) - 5e14).UTC()
		}
		if r.IntN(4) > 0 {
			rec.Received = time.UnixMicro(r.Int64N(2e15)).UTC()
		}
		if i > 0 && r.IntN(3) == 0 {
			rec.Fact, rec.Supersedes = credit.Revocation, out[r.IntN(len(out))].ID
		}
		if n := r.IntN(5); n > 0 {
			rec.Fields = credit.Fields{}
			for k := range n {
				rec.Fields["f"+strconv.Itoa(k)] = []string{"", "罚款", "5000", "警告\x00并处"}[r.IntN(4)]
			}
		}
		out = append(out, rec)
	}
	return out
}

func TestEvalFileRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 500 {
		id := "S" + strconv.Itoa(n)
		subj := &credit.Subject{ID: id, Kind: credit.Organisation, Code: "91350100M0001" + strconv.Itoa(n), Name: []string{"", "测试公司", "SAMR-350100"}[r.IntN(3)],
			OrgType: "91", Region: "350100", Status: []string{"存续", "吊销", ""}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			subj.RegisteredOn = time.UnixMicro(r.Int64N(2e15) - 5e14).UTC()
		}
		want := randomFile(r, id)
		// Half the files with a memo, its entries blank or not.
		var memo credit.EvalMemo
		if r.IntN(2) == 0 {
			memo.Key = "fp" + strconv.Itoa(r.IntN(3))
			for i := range want {
				memo.Records = append(memo.Records, []string{"", "w" + want[i].ID, "\x00\x01"}[r.IntN(3)])
			}
		}
		body := encodeEvalFile(nil, subj, want, memo)
		gotSubj, got, gotMemo, err := decodeEvalFile(id, body, nil, nil)
		if err != nil {
			t.Fatalf("file %d: %v", n, err)
		}
		if gotMemo.Key != memo.Key || len(gotMemo.Records) != len(want) {
			t.Fatalf("file %d: memo %+v, want %+v", n, gotMemo, memo)
		}
		entryOf := func(i int) string {
			if memo.Records == nil {
				return ""
			}
			return memo.Records[i]
		}
		for i := range want {
			if gotMemo.Records[i] != entryOf(i) {
				t.Fatalf("file %d: memo entry %d = %q, want %q", n, i, gotMemo.Records[i], entryOf(i))
			}
		}
		if !reflect.DeepEqual(gotSubj, subj) {
			t.Fatalf("file %d: subject\ngot  %+v\nwant %+v", n, gotSubj, subj)
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("file %d:\ngot  %+v\nwant %+v", n, got, want)
		}
		// Only the items asked for, the others skipped whole.
		_, honours, honourMemo, err := decodeEvalFile(id, body, func(it string) bool { return it == "honour" }, nil)
		if err != nil {
			t.Fatal(err)
		}
		var (
			wantH     []credit.Record
			wantHMemo []string
		)
		for i, rec := range want {
			if rec.Item == "honour" {
				wantH = append(wantH, rec)
				wantHMemo = append(wantHMemo, entryOf(i))
			}
		}
		if !reflect.DeepEqual(honours, wantH) {
			t.Fatalf("file %d, honours only:\ngot  %+v\nwant %+v", n, honours, wantH)
		}
		if len(honourMemo.Records) != len(wantHMemo) || (len(wantHMemo) > 0 && !reflect.DeepEqual(honourMemo.Records, wantHMemo)) {
			t.Fatalf("file %d, honours only: memo %q, want %q", n, honourMemo.Records, wantHMemo)
		}
		// Every cut of the body is refused, not read as a shorter file.
		for cut := range len(body) {
			if _, _, _, err := decodeEvalFile("S", body[:cut], nil, nil); err == nil {
				t.Fatalf("file %d cut at %d of %d: read without error", n, cut, len(body))
			}
		}
	}
}

func TestEvalFileSortsByID(t *testing.T) {
	recs := []credit.Record{{ID: "b", Item: "honour"}, {ID: "a", Item: "honour"}}
	memo := credit.EvalMemo{Key: "k", Records: []string{"of b", "of a"}}
	_, got, gotMemo, err := decodeEvalFile("S", encodeEvalFile(nil, &credit.Subject{ID: "S"}, recs, memo), nil, nil)
	if err != nil || len(got) != 2 || got[0].ID != "a" || recs[0].ID != "b" {
		t.Fatalf("got %+v, %v; the caller's slice %+v", got, err, recs)
	}
	if !reflect.DeepEqual(gotMemo.Records, []string{"of a", "of b"}) {
		t.Fatalf("memo entries %q: not moved with their records", gotMemo.Records)
	}
}

// A copy kept before memos were (format 2) is still read, without one.
func TestEvalFileFormat2(t *testing.T) {
	// Written by the format 2 encoder: S, two records given as r2, r1.
	body, err := hex.DecodeString("02066f72672439313335303130304d41303030303030305818e6b58be8af95e585ace58fb800000ce5ad98e7bbad000233001a61646d696e5f70656e616c747904723100106f726967696e616c001653414d522d333530313030000ce4b880e888ac000029010c686f6e6f7572047232000d00145441582d333530313030008080fcaa93cf9706000001026b0276")
	if err != nil {
		t.Fatal(err)
	}
	subj, got, memo, err := decodeEvalFile("S", body, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if subj.Name != "测试公司" || subj.Status != "存续" || len(got) != 2 || got[0].ID != "r1" || got[0].Severity != "一般" ||
		got[1].Fields["k"] != "v" || !got[1].DecidedOn.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("format 2 read as %+v %+v", subj, got)
	}
	if memo.Key != "" || memo.Records != nil {
		t.Fatalf("format 2 read with a memo: %+v", memo)
	}
}
