// Package evalbench measures a full evaluation pass (`xinyong bench
// evaluation`): every subject read from the store in bulk and evaluated in
// memory, against a plain bulk read of the same rows in the same run.
package evalbench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Store is a store whose read pool the baseline reads.
type Store interface {
	credit.Store
	ReadDB() *sql.DB
	PutSubjects(ctx context.Context, subs []credit.Subject) error
}

// Options says what to measure.
type Options struct {
	Subjects int    // organisations the store should hold
	Records  int    // records the store should hold (spread over the subjects)
	Seed     uint64 // the same seed gives the same data
	Rounds   int    // measured rounds of each (the median is reported)
	// Now dates the generated records (decisions up to four years
	// before it); nil is time.Now.
	Now func() time.Time
}

// Report is the outcome of a run.
type Report struct {
	Backend  string
	Subjects int
	Records  int
	Inserted int
	FillTime time.Duration
	// Prepared says what made the file copies (BuildFiles) and
	// PrepareTime how long it took; zero when they were there already.
	Prepared    string
	PrepareTime time.Duration
	// PlainRecords is the subjects and records read in bulk in subject
	// order, as a pass read them before the copies; PlainRead the
	// baseline: the rows the pass reads (the file copies), in bulk, not
	// decoded.
	PlainRecords      time.Duration
	PlainRead         time.Duration
	ScanRead          time.Duration // the evaluation's bulk read, decoded, not evaluated
	FullRecompute     time.Duration // read, decoded, evaluated in memory
	FromCopies        bool
	Evaluated         int
	SubjectsPerSec    float64
	RatioToPlainRead  float64
	RatioToRecordRead float64
}

// Items the generated records are spread over (the model reads them all).
var items = []string{"admin_penalty", "admin_penalty", "admin_penalty", "admin_compulsion", "credit_commitment", "honour", "industry_rating", "contract_performance"}

// Fill brings the store up to o.Subjects organisations and o.Records
// records (existing ones are kept), deterministically from o.Seed.
func Fill(ctx context.Context, st Store, o Options, progress io.Writer) (inserted int, err error) {
	haveS, err := st.CountSubjects(ctx)
	if err != nil {
		return 0, err
	}
	haveR, err := st.CountRecords(ctx)
	if err != nil {
		return 0, err
	}
	g := uscc.NewGenerator(int64(o.Seed))
	r := rand.New(rand.NewPCG(o.Seed, 17))
	ids := make([]string, 0, o.Subjects)
	seen := make(map[string]bool, o.Subjects)
	now := time.Now().UTC()
	if o.Now != nil {
		now = o.Now().UTC()
	}
	var buf []credit.Subject
	for len(ids) < o.Subjects {
		code := g.USCC('9', '1', "350100")
		if seen[code] {
			continue
		}
		seen[code] = true
		ids = append(ids, code)
		if len(ids) > haveS {
			buf = append(buf, credit.Subject{ID: code, Kind: credit.Organisation, Code: code, Name: "测评企业" + strconv.Itoa(len(ids)), Status: "存续",
				Region: "350100", OrgType: "91", CreatedAt: now, UpdatedAt: now})
		}
		if len(buf) == 10000 || (len(ids) == o.Subjects && len(buf) > 0) {
			if err := st.PutSubjects(ctx, buf); err != nil {
				return inserted, fmt.Errorf("subjects: %w", err)
			}
			inserted += len(buf)
			buf = buf[:0]
			fmt.Fprintf(progress, "\rsubjects %d/%d", len(ids), o.Subjects)
		}
	}
	fmt.Fprintln(progress)
	var recs []credit.Record
	for i := haveR; i < o.Records; i++ {
		subj := ids[r.IntN(len(ids))]
		on := now.AddDate(0, 0, -r.IntN(1500))
		it := items[r.IntN(len(items))]
		rec := credit.Record{ID: credit.NewID(), SubjectID: subj, Item: it, Catalog: "2024.1", Fact: credit.Original, Dept: "SAMR-350100",
			DocNo: "评测〔" + strconv.Itoa(on.Year()) + "〕" + strconv.Itoa(i) + "号", DecidedOn: on, Received: now, Kind: credit.Organisation, Hash: "bench"}
		d := on.Format("2006-01-02")
		switch it {
		case "admin_penalty":
			rec.Fields = credit.Fields{"cf_cflb": []string{"警告", "罚款", "罚款", "吊销许可证", "没收违法所得"}[r.IntN(5)], "cf_nr_fk": strconv.Itoa(r.IntN(150)), "cf_jdrq": d, "cf_wsh": rec.DocNo}
		case "admin_compulsion":
			rec.Dept = "ECO-350100"
			rec.Fields = credit.Fields{"qz_lb": "查封", "qz_jdrq": d}
		case "credit_commitment":
			rec.Fields = credit.Fields{"cn_lxzt": []string{"全部履行", "全部履行", "部分履行", "全部未履行"}[r.IntN(4)], "cn_zcrq": d}
		case "honour":
			rec.Fields = credit.Fields{"ry_rq": d}
		case "industry_rating":
			rec.Dept = "TAX-350100"
			rec.Fields = credit.Fields{"pj_pjlx": "纳税信用等级", "pj_pjjg": []string{"A", "B", "M", "C", "D"}[r.IntN(5)], "pj_rq": d}
		case "contract_performance":
			rec.Fields = credit.Fields{"ht_lxqk": []string{"正常履行", "履行完毕", "违约"}[r.IntN(3)], "ht_qdrq": d}
		}
		recs = append(recs, rec)
		if len(recs) == 5000 || i == o.Records-1 {
			if err := st.AppendRecords(ctx, recs); err != nil {
				return inserted, fmt.Errorf("records: %w", err)
			}
			inserted += len(recs)
			recs = recs[:0]
			fmt.Fprintf(progress, "\rrecords %d/%d", i+1, o.Records)
		}
	}
	fmt.Fprintln(progress)
	return inserted, nil
}

// The rows a pass reads: the file copies; before them, the subjects and
// their records.
const (
	subjectRows = `SELECT id, kind, code, name, org_type, region, status, registered_on FROM subjects ORDER BY id`
	recordRows  = `SELECT id, subject_id, item, catalog_version, fact, supersedes, dept, doc_no, decided_on, received_at, severity, fields, subject_kind FROM records ORDER BY subject_id, id`
	copyRows    = `SELECT subject_id, part, body FROM ev_files ORDER BY subject_id, part`
)

// plainRead is the baseline: the rows of queries, each in one query in
// subject order on one connection, into raw bytes: no decoding, no
// evaluation.
func plainRead(ctx context.Context, st Store, queries ...string) (int, error) {
	db := st.ReadDB()
	n := 0
	for _, q := range queries {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return n, err
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return n, err
		}
		v := make([]sql.RawBytes, len(cols))
		d := make([]any, len(cols))
		for i := range v {
			d[i] = &v[i]
		}
		for rows.Next() {
			if err := rows.Scan(d...); err != nil {
				rows.Close()
				return n, err
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// scanAll is the evaluation's own bulk read without the evaluation: the
// same ranges of file copies on as many connections as
// evaluation.Service.Pass uses, every row decoded.
func scanAll(ctx context.Context, st Store, items []string) error {
	defer gcpace.Bulk()() // as in the pass
	workers := runtime.GOMAXPROCS(0)
	ranges, err := st.EvalRanges(ctx, 4*workers)
	if err != nil {
		return err
	}
	jobs := make(chan credit.SubjectRange, len(ranges))
	for _, r := range ranges {
		jobs <- r
	}
	close(jobs)
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			for r := range jobs {
				if err := st.ScanEvalFileCopies(ctx, items, r, func(*credit.Subject, []credit.Record, credit.EvalMemo) error { return nil }); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// Run fills the store and measures, alternating the baseline and the
// evaluation o.Rounds times and reporting each one's median.
func Run(ctx context.Context, st Store, ev *evaluation.Service, o Options, progress io.Writer) (*Report, error) {
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	rep := &Report{Backend: st.Backend(), Subjects: o.Subjects, Records: o.Records}
	start := time.Now()
	n, err := Fill(ctx, st, o, progress)
	if err != nil {
		return nil, err
	}
	rep.Inserted, rep.FillTime = n, time.Since(start)
	if rep.Prepared, rep.PrepareTime, err = prepare(ctx, st, ev); err != nil {
		return nil, err
	}
	if rep.Prepared != "" {
		fmt.Fprintf(progress, "%s: %v\n", rep.Prepared, rep.PrepareTime.Round(time.Millisecond))
	}
	model := ev.Model().Items()
	var records, plain, scan, full []time.Duration
	for round := range o.Rounds {
		t := time.Now()
		if _, err := plainRead(ctx, st, subjectRows, recordRows); err != nil {
			return nil, fmt.Errorf("plain read of the records: %w", err)
		}
		records = append(records, time.Since(t))
		t = time.Now()
		if _, err := plainRead(ctx, st, copyRows); err != nil {
			return nil, fmt.Errorf("plain read: %w", err)
		}
		plain = append(plain, time.Since(t))
		t = time.Now()
		if err := scanAll(ctx, st, model); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		scan = append(scan, time.Since(t))
		t = time.Now()
		s, err := ev.Dry(ctx)
		if err != nil {
			return nil, fmt.Errorf("recompute: %w", err)
		}
		full = append(full, time.Since(t))
		rep.Evaluated, rep.FromCopies = s.Subjects, s.FromCopies
		fmt.Fprintf(progress, "round %d: plain read of the records %v, plain read %v, scan %v, full recompute %v (%d subjects, %d records, from copies %v)\n",
			round+1, records[round].Round(time.Millisecond), plain[round].Round(time.Millisecond), scan[round].Round(time.Millisecond),
			full[round].Round(time.Millisecond), s.Subjects, s.Records, s.FromCopies)
	}
	rep.PlainRecords, rep.PlainRead, rep.ScanRead, rep.FullRecompute = median(records), median(plain), median(scan), median(full)
	rep.SubjectsPerSec = float64(rep.Evaluated) / rep.FullRecompute.Seconds()
	rep.RatioToPlainRead = rep.FullRecompute.Seconds() / rep.PlainRead.Seconds()
	rep.RatioToRecordRead = rep.FullRecompute.Seconds() / rep.PlainRecords.Seconds()
	return rep, nil
}

// prepare builds the file copies (BuildFiles) on a store that has none,
// and makes their memos again where they were made under another
// catalogue (RefreshMemos).
// A store the bench filled has no follower cursor either: it is placed at
// the feed's head, as if a node had followed the feed all along (the
// initial evaluation a node runs instead first brings the list entries in
// step with ten million records, which is the sanction service's work,
// not the evaluation's).
func prepare(ctx context.Context, st Store, ev *evaluation.Service) (string, time.Duration, error) {
	if _, built, err := st.FeedCursor(ctx, evaluation.FilesCursor); err != nil {
		return "", 0, err
	} else if built {
		// Copies kept by an earlier version or under another catalogue
		// get their memos as a node's follower would give them.
		t := time.Now()
		n, err := ev.RefreshMemos(ctx)
		if err != nil || n == 0 {
			return "", 0, err
		}
		return fmt.Sprintf("memos of %d file copies made again (RefreshMemos)", n), time.Since(t), nil
	}
	_, following, err := st.FeedCursor(ctx, evaluation.CursorName)
	if err != nil {
		return "", 0, err
	}
	if !following {
		head, err := st.ChangeHead(ctx)
		if err != nil {
			return "", 0, err
		}
		if err := st.MoveFeedCursor(ctx, evaluation.CursorName, -1, head); err != nil {
			return "", 0, err
		}
	}
	t := time.Now()
	if _, err := ev.BuildFiles(ctx); err != nil {
		return "", 0, fmt.Errorf("building the file copies: %w", err)
	}
	return "file copies built (BuildFiles)", time.Since(t), nil
}

// median is the middle round, or the mean of the two middle ones for an
// even count (the larger of two rounds was reported before).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}

// Write prints the report.
func (r *Report) Write(w io.Writer) {
	if r.Prepared != "" {
		fmt.Fprintf(w, "prepared: %s in %v\n", r.Prepared, r.PrepareTime.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "backend\tsubjects\trecords\tplain read of the records\tplain read\tscan+decode\tfull recompute\tfrom copies\tsubjects/s\tratio to plain read\tratio to plain read of the records\n")
	fmt.Fprintf(w, "%s\t%d\t%d\t%v\t%v\t%v\t%v\t%v\t%.0f\t%.2f\t%.2f\n", r.Backend, r.Evaluated, r.Records, r.PlainRecords.Round(time.Millisecond),
		r.PlainRead.Round(time.Millisecond), r.ScanRead.Round(time.Millisecond), r.FullRecompute.Round(time.Millisecond), r.FromCopies,
		r.SubjectsPerSec, r.RatioToPlainRead, r.RatioToRecordRead)
}
