// Package searchbench measures the subject search at scale: it fills a
// store with generated organisations (valid codes, plausible Chinese
// names), loads the search index from it, and times name queries of one to
// four characters on the index and, as the baseline in the same run, as a
// LIKE '%q%' scan on the database.
package searchbench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Store is a store whose read pool the LIKE baseline uses.
type Store interface {
	credit.Store
	ReadDB() *sql.DB
}

// Options says what to measure.
type Options struct {
	Subjects int    // how many organisations the store should hold
	Seed     uint64 // generator seed; the same seed gives the same names
	// Queries per query length on the index, and on the LIKE scan.
	IndexQueries, ScanQueries int
	Limit                     int // results per query (20 on the portal)
}

// Latency is one row of the report.
type Latency struct {
	Chars         int
	IndexP50      time.Duration
	IndexP99      time.Duration
	IndexMeanHits float64
	ScanP50       time.Duration
	ScanP99       time.Duration
	Queries       int
	ScanQueries   int
}

// Report is the outcome of a run.
type Report struct {
	Backend   string
	Subjects  int
	Inserted  int
	FillTime  time.Duration
	LoadTime  time.Duration
	HeapBytes uint64
	Rows      []Latency
	// TwoChar are the measured examples the issue names.
	Examples map[string]time.Duration
}

// subjectAt generates the i-th subject of the run deterministically.
type generator struct {
	codes *uscc.Generator
	names *gen.Names
	rng   *rand.Rand
	place []string
}

func newGenerator(seed uint64) *generator {
	g := &generator{codes: uscc.NewGenerator(int64(seed)), names: gen.NewNames(seed), rng: rand.New(rand.NewPCG(seed, 1))}
	for _, r := range uscc.Regions() {
		n := []rune(r.Name)
		for _, suf := range []string{"市", "区", "县", "省", "自治区"} {
			n = []rune(strings.TrimSuffix(string(n), suf))
		}
		if len(n) >= 2 {
			g.place = append(g.place, string(n[:2]))
		}
	}
	if len(g.place) == 0 {
		g.place = []string{"福州"}
	}
	return g
}

func (g *generator) next(now time.Time) credit.Subject {
	code := g.codes.USCC('9', '1', g.codes.RandomRegion())
	place := ""
	if g.rng.IntN(10) > 0 {
		place = g.place[g.rng.IntN(len(g.place))]
	}
	s := credit.Subject{ID: code, Kind: credit.Organisation, Code: code, Name: g.names.Company(place),
		OrgType: "91", Status: "存续", CreatedAt: now, UpdatedAt: now}
	if g.rng.IntN(20) == 0 {
		s.FormerNames = []string{g.names.Company(place)}
	}
	return s
}

// Run fills st up to o.Subjects organisations (keeping what is there),
// loads the index and measures. Progress goes to progress.
func Run(ctx context.Context, st Store, o Options, progress io.Writer) (*Report, error) {
	if o.Subjects <= 0 {
		o.Subjects = 1_000_000
	}
	if o.IndexQueries <= 0 {
		o.IndexQueries = 2000
	}
	if o.ScanQueries <= 0 {
		o.ScanQueries = 30
	}
	if o.Limit <= 0 {
		o.Limit = 20
	}
	rep := &Report{Backend: st.Backend(), Subjects: o.Subjects, Examples: map[string]time.Duration{}}
	have, err := st.CountSubjects(ctx)
	if err != nil {
		return nil, err
	}
	g := newGenerator(o.Seed)
	now := time.Now().UTC()
	// Names of the run, for drawing queries (and to skip what is stored).
	names := make([]string, 0, o.Subjects)
	start := time.Now()
	const batch = 10000
	buf := make([]credit.Subject, 0, batch)
	seen := make(map[string]bool, o.Subjects)
	for i := 0; i < o.Subjects; {
		s := g.next(now)
		if seen[s.ID] {
			continue // the generator repeated a code: draw again
		}
		seen[s.ID] = true
		names = append(names, s.Name)
		if i >= have {
			buf = append(buf, s)
		}
		i++
		if len(buf) == batch || (i == o.Subjects && len(buf) > 0) {
			if err := st.PutSubjects(ctx, buf); err != nil {
				return nil, fmt.Errorf("bulk insert: %w", err)
			}
			rep.Inserted += len(buf)
			buf = buf[:0]
			fmt.Fprintf(progress, "\rinserted %d/%d subjects", i, o.Subjects)
		}
	}
	if rep.Inserted > 0 {
		fmt.Fprintln(progress)
	}
	rep.FillTime = time.Since(start)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	x := search.New()
	start = time.Now()
	n, err := x.Refresh(ctx, st, func(n int) {
		if n%100000 == 0 {
			fmt.Fprintf(progress, "\rindexed %d subjects", n)
		}
	})
	if err != nil {
		return nil, err
	}
	rep.LoadTime = time.Since(start)
	fmt.Fprintf(progress, "\rindexed %d subjects in %v\n", n, rep.LoadTime.Round(time.Millisecond))
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc {
		rep.HeapBytes = after.HeapAlloc - before.HeapAlloc
	}

	rng := rand.New(rand.NewPCG(o.Seed, 2))
	draw := func(chars int) string {
		for {
			rs := []rune(names[rng.IntN(len(names))])
			if len(rs) < chars {
				continue
			}
			at := rng.IntN(len(rs) - chars + 1)
			return string(rs[at : at+chars])
		}
	}
	db := st.ReadDB()
	like := func(q string) (time.Duration, error) {
		t := time.Now()
		rows, err := db.QueryContext(ctx, `SELECT id, name FROM subjects WHERE name LIKE $1 LIMIT $2`, "%"+q+"%", o.Limit)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return 0, err
			}
		}
		rows.Close()
		return time.Since(t), rows.Err()
	}
	for chars := 1; chars <= 4; chars++ {
		row := Latency{Chars: chars, Queries: o.IndexQueries, ScanQueries: o.ScanQueries}
		lat := make([]time.Duration, 0, o.IndexQueries)
		hits := 0
		for range o.IndexQueries {
			q := draw(chars)
			t := time.Now()
			r := x.Search(q, o.Limit)
			lat = append(lat, time.Since(t))
			hits += len(r.Hits)
		}
		row.IndexP50, row.IndexP99 = pct(lat, 50), pct(lat, 99)
		row.IndexMeanHits = float64(hits) / float64(o.IndexQueries)
		lat = lat[:0]
		for i := range o.ScanQueries {
			d, err := like(draw(chars))
			if err != nil {
				return nil, fmt.Errorf("LIKE scan: %w", err)
			}
			lat = append(lat, d)
			fmt.Fprintf(progress, "\rLIKE scan, %d characters: %d/%d", chars, i+1, o.ScanQueries)
		}
		fmt.Fprintln(progress)
		row.ScanP50, row.ScanP99 = pct(lat, 50), pct(lat, 99)
		rep.Rows = append(rep.Rows, row)
	}
	for _, q := range []string{"华为", "宁德", "恒泰", "有限"} {
		t := time.Now()
		x.Search(q, o.Limit)
		rep.Examples[q] = time.Since(t)
	}
	return rep, nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

// Write prints the report as a Markdown table.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "Backend %s, %d subjects (inserted %d in %v), index loaded in %v, index heap ≈ %d MiB\n\n",
		r.Backend, r.Subjects, r.Inserted, r.FillTime.Round(time.Millisecond), r.LoadTime.Round(time.Millisecond), r.HeapBytes>>20)
	fmt.Fprintln(w, "| chars | index p50 | index p99 | mean hits | LIKE p50 | LIKE p99 | p99 ratio (LIKE/index) | queries (index/LIKE) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, l := range r.Rows {
		ratio := 0.0
		if l.IndexP99 > 0 {
			ratio = float64(l.ScanP99) / float64(l.IndexP99)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %.1f | %s | %s | %.0f× | %d/%d |\n", l.Chars, us(l.IndexP50), us(l.IndexP99),
			l.IndexMeanHits, us(l.ScanP50), us(l.ScanP99), ratio, l.Queries, l.ScanQueries)
	}
	keys := make([]string, 0, len(r.Examples))
	for k := range r.Examples {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprint(w, "\nSingle queries:")
	for _, k := range keys {
		fmt.Fprintf(w, " %s %s;", k, us(r.Examples[k]))
	}
	fmt.Fprintln(w)
}

func us(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	}
}
