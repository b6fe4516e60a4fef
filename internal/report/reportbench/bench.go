package reportbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/tlog"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Options size the benchmark.
type Options struct {
	// Records is how many penalties the subject's file holds (50).
	Records int
	// Runs is how many reports are drawn per measurement (200).
	Runs int
	// Leaves is the log size the inclusion proof is measured at (10M);
	// AppendLeaves how many leaves the append rate is measured over.
	Leaves       int
	AppendLeaves int
	// Batch is how many leaves one append carries.
	Batch int
	// Procs is GOMAXPROCS while reports are measured (1: one core).
	Procs int
	// Progress, when set, is told what is being done.
	Progress io.Writer
}

// Figures are percentiles of one measurement.
type Figures struct {
	N             int
	P50, P99, Max time.Duration
}

func figures(ds []time.Duration) Figures {
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return Figures{N: len(ds), P50: at(0.50), P99: at(0.99), Max: ds[len(ds)-1]}
}

// Result is what the benchmark measured.
type Result struct {
	Backend string
	Records int
	Procs   int
	// PDF is issuing a report and drawing its PDF; JSON issuing it
	// (signed, logged, kept, with its proof); Render drawing the PDF of an
	// issued report alone; Verify verifying an issued report (signature,
	// content, inclusion proof, checkpoint).
	PDF, JSON, Render, Verify Figures
	PDFBytes, JSONBytes       int
	// AppendRate is leaves per second appended to the store's log
	// (hashing, tiles, head, in batches); LibAppendRate the library's own
	// compact range appending in memory (its BenchmarkAppend), in the same
	// run.
	AppendRate, LibAppendRate float64
	// Inclusion is an inclusion proof at Leaves leaves from the store's
	// tiles, cold (tiles read from the store) and warm (cached); LibInclusion
	// the library's reference in-memory tree (testonly.Tree) at the same size.
	Leaves                   int
	Inclusion, InclusionWarm Figures
	LibInclusion             Figures
	FillTime                 time.Duration
}

func (o *Options) say(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Run measures on node (a node built by internal/app on the store to
// measure; its log is filled to o.Leaves).
func Run(ctx context.Context, node *app.App, o Options) (*Result, error) {
	if o.Records <= 0 {
		o.Records = 50
	}
	if o.Runs <= 0 {
		o.Runs = 200
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.AppendLeaves <= 0 {
		o.AppendLeaves = 200_000
	}
	if o.Procs <= 0 {
		o.Procs = 1
	}
	res := &Result{Backend: node.Store.Backend(), Records: o.Records, Procs: o.Procs, Leaves: o.Leaves}
	code := uscc.NewGenerator(rand.Int64()).USCC('9', '1', "350100")
	o.say("subject %s with %d penalties", code, o.Records)
	subj, err := Organisation(ctx, node.Records, code, "福州基准测试科技有限公司", o.Records, node.Now())
	if err != nil {
		return nil, err
	}
	rs := node.R.Reports
	req := report.Request{Kind: "public_credit", SubjectID: subj.ID, Requester: credit.Actor{Name: "bench", Role: credit.RoleSubject, Subject: subj.ID},
		Purpose: "bidding", BaseURL: "https://credit.example"}
	ks, err := node.KeySet(ctx)
	if err != nil {
		return nil, err
	}

	prev := runtime.GOMAXPROCS(o.Procs)
	defer runtime.GOMAXPROCS(prev)
	// Warm up once.
	if _, err := rs.Issue(ctx, req); err != nil {
		return nil, err
	}
	o.say("reports: %d × JSON, PDF, render, verify on %d core(s)", o.Runs, o.Procs)
	var js, pdfs, renders, verifies []time.Duration
	var last *report.Issued
	for range o.Runs {
		t := time.Now()
		is, err := rs.Issue(ctx, req)
		if err != nil {
			return nil, err
		}
		js = append(js, time.Since(t))
		last = is
		res.JSONBytes = len(is.Envelope)
	}
	for range o.Runs {
		t := time.Now()
		is, err := rs.Issue(ctx, req)
		if err != nil {
			return nil, err
		}
		pdf, err := report.RenderPDF(is.Envelope, node.R.SigningKey())
		if err != nil {
			return nil, err
		}
		pdfs = append(pdfs, time.Since(t))
		res.PDFBytes = len(pdf)
	}
	for range o.Runs {
		t := time.Now()
		if _, err := report.RenderPDF(last.Envelope, node.R.SigningKey()); err != nil {
			return nil, err
		}
		renders = append(renders, time.Since(t))
	}
	now := node.Now()
	for range o.Runs {
		t := time.Now()
		if _, err := report.Verify(last.Envelope, ks, now, nil); err != nil {
			return nil, err
		}
		verifies = append(verifies, time.Since(t))
	}
	res.JSON, res.PDF, res.Render, res.Verify = figures(js), figures(pdfs), figures(renders), figures(verifies)
	runtime.GOMAXPROCS(prev)

	// The log's append rate against the library's own, same leaves.
	o.say("log: appending %d leaves in batches of %d", o.AppendLeaves, o.Batch)
	data := func(i int) []byte {
		return fmt.Appendf(nil, "xinyong-fact/1\npos %d\nkind record\nat 2026-11-20T02:00:00Z\nver 0\nsha256 %064x\n", i, i)
	}
	t := time.Now()
	if err := fill(ctx, node.Store, o.AppendLeaves, o.Batch, data); err != nil {
		return nil, err
	}
	res.AppendRate = float64(o.AppendLeaves) / time.Since(t).Seconds()
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := f.NewEmptyRange(0)
	t = time.Now()
	for i := range o.AppendLeaves {
		if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(data(i)), nil); err != nil {
			return nil, err
		}
	}
	if _, err := cr.GetRootHash(nil); err != nil {
		return nil, err
	}
	res.LibAppendRate = float64(o.AppendLeaves) / time.Since(t).Seconds()

	if o.Leaves <= 0 {
		return res, nil
	}
	head, err := node.Store.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	if missing := int64(o.Leaves) - head.Size; missing > 0 {
		o.say("log: filling to %d leaves (%d more)", o.Leaves, missing)
		t := time.Now()
		if err := fill(ctx, node.Store, int(missing), 10_000, func(i int) []byte { return data(int(head.Size) + i) }); err != nil {
			return nil, err
		}
		res.FillTime = time.Since(t)
	}
	head, err = node.Store.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	size := head.Size
	res.Leaves = int(size)
	o.say("log: %d inclusion proofs at %d leaves, cold and warm", o.Runs, size)
	rng := rand.New(rand.NewPCG(1, 2))
	idx := make([]int64, o.Runs)
	for i := range idx {
		idx[i] = rng.Int64N(size)
	}
	measure := func(r *tlog.Reader) ([]time.Duration, error) {
		var ds []time.Duration
		for _, i := range idx {
			t := time.Now()
			if _, err := r.Inclusion(ctx, i, size); err != nil {
				return nil, err
			}
			ds = append(ds, time.Since(t))
		}
		return ds, nil
	}
	cold, err := measure(&tlog.Reader{Store: node.Store, CacheTiles: 1})
	if err != nil {
		return nil, err
	}
	warmReader := &tlog.Reader{Store: node.Store}
	if _, err := measure(warmReader); err != nil {
		return nil, err
	}
	warm, err := measure(warmReader)
	if err != nil {
		return nil, err
	}
	res.Inclusion, res.InclusionWarm = figures(cold), figures(warm)

	// The library's reference tree in memory, at the same size, with the
	// same leaf hashes read back from the store.
	o.say("library: building its in-memory tree of %d leaves", size)
	tree := testonly.New(rfc6962.DefaultHasher)
	for from := int64(0); from < size; from += 100_000 {
		hs, err := node.Store.LogLeafHashes(ctx, from, min(from+100_000, size))
		if err != nil {
			return nil, err
		}
		tree.Append(hs...)
	}
	var lib []time.Duration
	for _, i := range idx {
		t := time.Now()
		if _, err := tree.InclusionProof(uint64(i), uint64(size)); err != nil {
			return nil, err
		}
		lib = append(lib, time.Since(t))
	}
	res.LibInclusion = figures(lib)
	return res, nil
}

// fill appends n leaves in batches through the log's append path.
func fill(ctx context.Context, st credit.LogStore, n, batch int, data func(int) []byte) error {
	for i := 0; i < n; i += batch {
		leaves := make([]credit.LogLeaf, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			leaves = append(leaves, credit.LogLeaf{Kind: tlog.LeafFact, Ref: "bench", Data: data(j)})
		}
		if err := st.AppendLog(ctx, nil, func(h credit.LogState) (*credit.LogAppend, error) { return tlog.Append(h, leaves) }); err != nil {
			return err
		}
	}
	return nil
}

// Print writes the result as the README's benchmark tables.
func (r *Result) Print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(w, "backend %s, a subject with %d records, GOMAXPROCS=%d for the reports\n\n", r.Backend, r.Records, r.Procs)
	fmt.Fprintf(w, "| operation | n | p50 | p99 | max |\n|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		f    Figures
	}{{"PDF report (issue + draw)", r.PDF}, {"JSON report (issue: draw, sign, log, keep, prove)", r.JSON}, {"PDF drawing alone", r.Render}, {"verification (signature, content, inclusion, checkpoint)", r.Verify}} {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", row.name, row.f.N, ms(row.f.P50), ms(row.f.P99), ms(row.f.Max))
	}
	fmt.Fprintf(w, "\nPDF %d KB, JSON %d KB\n\n", r.PDFBytes/1024, r.JSONBytes/1024)
	fmt.Fprintf(w, "log append: %.0f leaves/s (store: hashing, tiles, head, batches); library compact range in memory %.0f leaves/s; ratio %.2f\n",
		r.AppendRate, r.LibAppendRate, r.AppendRate/r.LibAppendRate)
	if r.Inclusion.N > 0 {
		fmt.Fprintf(w, "inclusion proof at %d leaves: cold p50 %s p99 %s; warm p50 %s p99 %s; library in-memory tree p50 %s p99 %s; cold/library p50 ratio %.1f\n",
			r.Leaves, ms(r.Inclusion.P50), ms(r.Inclusion.P99), ms(r.InclusionWarm.P50), ms(r.InclusionWarm.P99),
			ms(r.LibInclusion.P50), ms(r.LibInclusion.P99), float64(r.Inclusion.P50)/float64(max(r.LibInclusion.P50, 1)))
		if r.FillTime > 0 {
			fmt.Fprintf(w, "(filling the log took %s)\n", r.FillTime.Round(time.Second))
		}
	}
}
