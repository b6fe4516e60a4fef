package sqlstore

import (
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
		body := encodeEvalFile(nil, subj, want)
		gotSubj, got, err := decodeEvalFile(id, body, nil, nil)
		if err != nil {
			t.Fatalf("file %d: %v", n, err)
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
		_, honours, err := decodeEvalFile(id, body, func(it string) bool { return it == "honour" }, nil)
		if err != nil {
			t.Fatal(err)
		}
		var wantH []credit.Record
		for _, rec := range want {
			if rec.Item == "honour" {
				wantH = append(wantH, rec)
			}
		}
		if !reflect.DeepEqual(honours, wantH) {
			t.Fatalf("file %d, honours only:\ngot  %+v\nwant %+v", n, honours, wantH)
		}
		// Every cut of the body is refused, not read as a shorter file.
		for cut := range len(body) {
			if _, _, err := decodeEvalFile("S", body[:cut], nil, nil); err == nil {
				t.Fatalf("file %d cut at %d of %d: read without error", n, cut, len(body))
			}
		}
	}
}

func TestEvalFileSortsByID(t *testing.T) {
	recs := []credit.Record{{ID: "b", Item: "honour"}, {ID: "a", Item: "honour"}}
	_, got, err := decodeEvalFile("S", encodeEvalFile(nil, &credit.Subject{ID: "S"}, recs), nil, nil)
	if err != nil || len(got) != 2 || got[0].ID != "a" || recs[0].ID != "b" {
		t.Fatalf("got %+v, %v; the caller's slice %+v", got, err, recs)
	}
}
