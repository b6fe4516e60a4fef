package sqlstore_test

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// TestEvalFileCopiesPaging: read in pages smaller than many copies, every
// subject of a range comes whole, once, in order, with the pages ending
// inside a copy and one copy longer than a page.
// Each backend reads the parts through its own driver's rows.
func TestEvalFileCopiesPaging(t *testing.T) {
	defer sqlstore.SetEvalCopyPage(3)()
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Logger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testCopiesPaging(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(t.Context(), pgtest.TestDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testCopiesPaging(t, st)
	})
}

func testCopiesPaging(t *testing.T, st credit.Store) {
	ctx := t.Context()
	var files []credit.EvalFile
	want := map[string]int{}
	for i := range 12 {
		id := "S" + strconv.Itoa(10+i)
		subj := &credit.Subject{ID: id, Kind: credit.Organisation, Code: id, Name: "公司" + id}
		var recs []credit.Record
		n := i % 4 // 0 to 3 records; S21 has a copy of many parts
		if i == 11 {
			n = 12
		}
		for k := range n {
			recs = append(recs, credit.Record{ID: id + "-" + strconv.Itoa(k), SubjectID: id, Item: "admin_penalty", Fact: credit.Original,
				Fields: credit.Fields{"cf_nr": strings.Repeat("罚款", 150+k)}})
		}
		want[id] = n
		files = append(files, credit.EvalFile{Subject: subj, Records: recs})
	}
	if err := st.PutEvalFiles(ctx, files); err != nil {
		t.Fatal(err)
	}
	for _, r := range []credit.SubjectRange{{}, {From: "S13"}, {To: "S17"}, {From: "S12", To: "S20"}, {From: "S21"}} {
		var got []string
		err := st.ScanEvalFileCopies(ctx, nil, r, func(subj *credit.Subject, facts []credit.Record, _ credit.EvalMemo) error {
			if len(facts) != want[subj.ID] || subj.Name != "公司"+subj.ID {
				t.Errorf("range %+v: %s has %d records (name %q), want %d", r, subj.ID, len(facts), subj.Name, want[subj.ID])
			}
			got = append(got, subj.ID)
			return nil
		})
		if err != nil {
			t.Fatalf("range %+v: %v", r, err)
		}
		var exp []string
		for i := range 12 {
			id := "S" + strconv.Itoa(10+i)
			if (r.From == "" || id >= r.From) && (r.To == "" || id < r.To) {
				exp = append(exp, id)
			}
		}
		if strings.Join(got, ",") != strings.Join(exp, ",") {
			t.Errorf("range %+v: visited %v, want %v", r, got, exp)
		}
	}
}
