package sanction_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/uscc"
)

// The go test benchmarks use a smaller set than `xinyong bench check`
// (which seeds 1M subjects): 100k queried codes, 5% of them listed, so
// that -bench runs in seconds. Index and SQL are measured on the same
// store in the same run; compare their subjects/s.
const (
	benchCodes  = 100000
	benchListed = 5000
)

type benchSet struct {
	st    *sqlite.Store
	svc   *sanction.Service
	codes []string
	reqs  []sanction.Request
}

var (
	benchOnce sync.Once
	benchData *benchSet
	benchErr  error
)

func loadBench(b *testing.B) *benchSet {
	benchOnce.Do(func() { benchData, benchErr = seedBench(b.TempDir()) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

func seedBench(dir string) (*benchSet, error) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	cat, _ := catalog.Default()
	sealer, _ := pii.New(bytes.Repeat([]byte{3}, 32))
	g := uscc.NewGenerator(5)
	seen := map[string]bool{}
	var codes []string
	for len(codes) < benchCodes {
		c := g.USCC('9', '1', "350100")
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	since := time.Now().Add(-time.Hour).UTC()
	lists := []string{"court_defaulters", "samr_serious_illegal", "gp_serious_dishonest", "honest_typical"}
	for i, c := range codes[:benchListed] {
		if err := st.PutSubject(ctx, &credit.Subject{ID: c, Kind: credit.Organisation, Code: c, Name: fmt.Sprintf("基准%d有限公司", i)}); err != nil {
			return nil, err
		}
		entry := credit.NewID()
		list := lists[i%len(lists)]
		p := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: list, SubjectID: c, Step: credit.StepProposed, Actor: "bench",
			Detail: credit.EntryDetail{Grounds: "bench", SubjectKind: credit.Organisation, SubjectName: fmt.Sprintf("基准%d有限公司", i)}}
		if err := st.AppendListEvent(ctx, p, 0); err != nil {
			return nil, err
		}
		d := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: list, SubjectID: c, Step: credit.StepDecided, Actor: "bench",
			Detail: credit.EntryDetail{Since: since, Until: since.AddDate(2, 0, 0)}}
		if err := st.AppendListEvent(ctx, d, p.Seq); err != nil {
			return nil, err
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: sealer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	set := &benchSet{st: st, svc: svc, codes: codes}
	for i := 0; i < len(codes); i += sanction.MaxSubjects {
		var qs []sanction.Query
		for _, c := range codes[i:min(i+sanction.MaxSubjects, len(codes))] {
			qs = append(qs, sanction.Query{Code: c})
		}
		set.reqs = append(set.reqs, sanction.Request{Matter: "gov_procurement", Subjects: qs})
	}
	return set, nil
}

var benchCaller = sanction.Caller{Name: "bench", Dept: "FIN-350100", Matters: []string{"gov_procurement"}}

// BenchmarkIndex: the in-memory index alone, 1000 subjects per op.
func BenchmarkIndex(b *testing.B) {
	set := loadBench(b)
	b.ResetTimer()
	n := 0
	for i := range b.N {
		k, err := set.svc.Probe(benchCaller, set.reqs[i%len(set.reqs)])
		if err != nil {
			b.Fatal(err)
		}
		n += len(set.reqs[i%len(set.reqs)].Subjects)
		_ = k
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "subjects/s")
}

// BenchmarkCheck: Check as the API calls it, results built and the check
// queued for the log, 1000 subjects per op.
func BenchmarkCheck(b *testing.B) {
	set := loadBench(b)
	ctx := context.Background()
	b.ResetTimer()
	n := 0
	for i := range b.N {
		if _, err := set.svc.Check(ctx, benchCaller, set.reqs[i%len(set.reqs)]); err != nil {
			b.Fatal(err)
		}
		n += len(set.reqs[i%len(set.reqs)].Subjects)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "subjects/s")
}

// BenchmarkSQL: the same look-up as a plain indexed SELECT per subject.
func BenchmarkSQL(b *testing.B) {
	set := loadBench(b)
	ctx := context.Background()
	stmt, err := set.st.ReadDB().PrepareContext(ctx, `SELECT entry_id, list_code, step, detail FROM list_events WHERE subject_id = $1 ORDER BY seq`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ResetTimer()
	for i := range b.N {
		rows, err := stmt.QueryContext(ctx, set.codes[i%len(set.codes)])
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var a, l, s, d string
			if err := rows.Scan(&a, &l, &s, &d); err != nil {
				b.Fatal(err)
			}
		}
		rows.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "subjects/s")
}
