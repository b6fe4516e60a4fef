package monitor_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/monitor"
	"github.com/xinyong/xinyong/internal/workday"
)

// at is a time on a date of 2026, China time.
func at(m, d, h int) time.Time {
	return time.Date(2026, time.Month(m), d, h, 0, 0, 0, chinatime.Location)
}

// seed writes known facts on known dates: subjects, records, batches,
// objections and a repair with their dues, and a black-list entry. The
// clock stands at 2026-11-20 (testenv.DefaultNow).
func seed(t *testing.T, ctx context.Context, st credit.Store) {
	t.Helper()
	subs := []struct {
		id      string
		created time.Time
	}{{"91350100M000100Y43", at(9, 5, 10)}, {"91350100MA2XN0CQ7K", at(10, 5, 10)}, {"91350100MA2XN0CQ8X", at(11, 2, 10)}, {"91350100MA2XN0CR0D", at(11, 2, 11)}}
	for _, s := range subs {
		if err := st.PutSubject(ctx, &credit.Subject{ID: s.id, Kind: credit.Organisation, Code: s.id, Name: "监测测试" + s.id[14:], CreatedAt: s.created, UpdatedAt: s.created}); err != nil {
			t.Fatal(err)
		}
	}
	var recs []credit.Record
	for i, r := range []struct {
		dept string
		recv time.Time
	}{{"DX", at(9, 10, 9)}, {"DX", at(10, 10, 9)}, {"DX", at(10, 11, 9)}, {"DY", at(11, 3, 9)}} {
		recs = append(recs, credit.Record{ID: credit.NewID(), SubjectID: subs[0].id, Item: "admin_penalty", Catalog: "t", Fact: credit.Original,
			Dept: r.dept, DocNo: "监测〔2026〕" + strconv.Itoa(i) + "号", DecidedOn: r.recv.AddDate(0, 0, -3), Received: r.recv,
			Fields: credit.Fields{"x": "y"}, Hash: "h" + strconv.Itoa(i), Kind: credit.Organisation})
	}
	if err := st.AppendRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for i, b := range []struct {
		dept string
		at   time.Time
		c    credit.BatchCounts
	}{
		{"DX", at(9, 15, 9), credit.BatchCounts{Total: 10, Accepted: 9, Created: 9, Rejected: 1, Timed: 10, Late: 2, Filled: 3, Fillable: 4}},
		{"DY", at(10, 15, 9), credit.BatchCounts{Total: 5, Accepted: 5, Created: 5, Timed: 5, Filled: 1, Fillable: 4}},
	} {
		bt := &credit.Batch{ID: credit.NewID(), Dept: b.dept, Item: "admin_penalty", FileName: "f.csv", Format: "csv", Encoding: "utf-8",
			HeaderStyle: "codes", ContentHash: "c" + strconv.Itoa(i), Actor: "cli", StartedAt: b.at}
		if err := st.CreateBatch(ctx, bt); err != nil {
			t.Fatal(err)
		}
		if err := st.CommitChunk(ctx, &credit.Chunk{BatchID: bt.ID, Seq: 1, LastRow: b.c.Total, Counts: b.c}); err != nil {
			t.Fatal(err)
		}
	}
	// Cases: each step's due date from the working-day calendar, as the
	// workflows set it. Objection 1 of DX is handled in time; objection 2
	// is routed three days after its 1-working-day due date; DY's repair
	// is handled in time in November; a withdrawn objection is left out.
	cal := workday.Default()
	due := func(from time.Time, n int) time.Time {
		d, err := cal.Deadline(from, n)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type step struct {
		action, state string
		at            time.Time
		days          int
	}
	mk := func(kind credit.CaseKind, unit string, steps ...step) {
		c := &credit.Case{ID: credit.NewID(), Kind: kind, SubjectID: subs[0].id, Unit: unit, TrackHash: credit.NewID(), State: steps[0].state, Open: true}
		ev := func(s step) *credit.CaseEvent {
			e := &credit.CaseEvent{Action: s.action, State: s.state, Actor: "t", Role: credit.RoleReviewer, At: s.at}
			if s.days > 0 {
				e.Due = due(s.at, s.days)
			}
			return e
		}
		first := ev(steps[0])
		c.Due, c.Created, c.Updated = first.Due, first.At, first.At
		if err := st.CreateCase(ctx, c, first); err != nil {
			t.Fatal(err)
		}
		for i, s := range steps[1:] {
			e := ev(s)
			c.State, c.Due, c.Updated = s.state, e.Due, s.at
			c.Open = i < len(steps)-2
			if err := st.AdvanceCase(ctx, c, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk(credit.CaseObjection, "DX", step{"file", "submitted", at(10, 12, 10), 1}, step{"route", "routed", at(10, 12, 11), 2}, step{"dismiss", "dismissed", at(10, 13, 9), 0})
	mk(credit.CaseObjection, "DX", step{"file", "submitted", at(10, 12, 10), 1}, step{"route", "routed", at(10, 16, 10), 2}, step{"dismiss", "dismissed", at(10, 16, 11), 0})
	mk(credit.CaseObjection, "DX", step{"file", "submitted", at(10, 12, 10), 1}, step{"withdraw", "withdrawn", at(10, 20, 10), 0})
	mk(credit.CaseRepair, "DY", step{"file", "submitted", at(11, 3, 10), 1}, step{"route", "routed", at(11, 3, 11), 3}, step{"approve", "repaired", at(11, 4, 10), 0})
	// A black-list entry decided on 2026-10-20 for the first subject.
	ev := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "court_defaulters", SubjectID: subs[0].id,
		Step: credit.StepDecided, Actor: "t", Dept: "DX", At: at(10, 20, 10), DocNo: "（2026）闽01执1号"}
	if err := st.AppendListEvent(ctx, ev, 0); err != nil {
		t.Fatal(err)
	}
	// Hit checks: in October two measures triggered for matter M1 (one
	// answered with feedback) and one suspended (not counted); in
	// November one for M2, answered.
	chk := func(id, dept, matter string, when time.Time, ms ...credit.CheckMeasure) {
		if err := st.AppendChecks(ctx, []credit.CheckLog{{ID: id, At: when, Caller: "t", Dept: dept, Matter: matter, Subjects: 1, Measures: ms}}); err != nil {
			t.Fatal(err)
		}
	}
	m := func(measure string, suspended bool) credit.CheckMeasure {
		return credit.CheckMeasure{SubjectID: subs[0].id, Measure: measure, List: "court_defaulters", EntryID: ev.EntryID, Suspended: suspended}
	}
	c1, c2 := credit.NewID(), credit.NewID()
	chk(c1, "DX", "M1", at(10, 21, 10), m("m_a", false), m("m_b", false), m("m_c", true))
	chk(c2, "DY", "M2", at(11, 5, 10), m("m_a", false))
	for _, fb := range []struct{ check, measure, dept string }{{c1, "m_a", "DX"}, {c2, "m_a", "DY"}} {
		if err := st.AppendFeedback(ctx, []credit.Feedback{{ID: credit.NewID(), CheckID: fb.check, SubjectID: subs[0].id, Measure: fb.measure,
			Outcome: credit.OutcomePunished, ActedAt: at(11, 6, 10), At: at(11, 6, 10), Actor: "t", Dept: fb.dept}}); err != nil {
			t.Fatal(err)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// values are a line's values, NaN for none.
func values(t *testing.T, sr *monitor.Series, key string) []float64 {
	t.Helper()
	for _, l := range sr.Lines {
		if l.Key == key {
			out := make([]float64, len(l.Points))
			for i, p := range l.Points {
				out[i] = math.NaN()
				if p.Value != nil {
					out[i] = *p.Value
				}
			}
			return out
		}
	}
	t.Fatalf("%s: no line %q in %+v", sr.Indicator.Code, key, sr.Lines)
	return nil
}

func same(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || !math.IsNaN(want[i]) && !near(got[i], want[i]) {
			return false
		}
	}
	return true
}

var none = math.NaN()

// TestSeriesOnKnownData computes every kind of series over three months
// of known facts and checks the numbers, the department's own view, the
// ranking and the XLSX read back.
func TestSeriesOnKnownData(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			node := apptest.New(t, apptest.Options{Backend: backend, NoSearchIndex: true})
			ctx := t.Context()
			seed(t, ctx, node.Store)
			m := node.Monitor
			q := monitor.Query{Period: monitor.Month, N: 3}
			want := map[string]map[string][]float64{
				"dsgs_timeliness":     {"": {0.8, 1, none}, "DX": {0.8, none, none}, "DY": {none, 1, none}},
				"dsgs_compliance":     {"": {0.9, 1, none}},
				"dsgs_completeness":   {"": {0.75, 0.25, none}},
				"records_per_1000":    {"": {1000, 1500, 1000}, "DX": {1000, 1500, 750}, "DY": {0, 0, 250}},
				"listed_share":        {"": {0, 0.5, 0.25}},
				"objection_on_time":   {"": {none, 0.5, none}, "DX": {none, 0.5, none}},
				"repair_on_time":      {"": {none, none, 1}, "DY": {none, none, 1}},
				"check_triggers":      {"": {0, 2, 1}, "M1": {0, 2, 0}, "M2": {0, 0, 1}},
				"check_feedback_rate": {"": {none, 0.5, 1}, "M1": {none, 0.5, none}, "M2": {none, none, 1}},
			}
			for code, lines := range want {
				sr, err := m.Series(ctx, code, q)
				if err != nil {
					t.Fatalf("%s: %v", code, err)
				}
				if len(sr.Periods) != 3 || sr.Periods[0] != "2026-09" || sr.Periods[2] != "2026-11" || !sr.Provisional {
					t.Errorf("%s: periods %v provisional %v", code, sr.Periods, sr.Provisional)
				}
				for key, w := range lines {
					if got := values(t, sr, key); !same(got, w) {
						t.Errorf("%s line %q = %v, want %v", code, key, got, w)
					}
				}
			}
			// A department sees its own line, and not the city-only figure.
			own := monitor.Query{Period: monitor.Month, N: 3, Dept: "DY"}
			sr, err := m.Series(ctx, "records_per_1000", own)
			if err != nil || len(sr.Lines) != 1 || sr.Lines[0].Key != "DY" {
				t.Fatalf("DY's own records_per_1000 = %+v, %v", sr, err)
			}
			// DY's own checks: M2 only.
			if sr, err := m.Series(ctx, "check_triggers", own); err != nil || len(sr.Lines) != 2 || sr.Lines[1].Key != "M2" {
				t.Errorf("DY's own check_triggers = %+v, %v", sr, err)
			}
			if _, err := m.Series(ctx, "listed_share", own); !credit.Is(credit.Permission, err) {
				t.Errorf("DY read listed_share: %v", err)
			}
			// Ranking: DX 0.4×0.8 + 0.3×0.9 + 0.3×0.75 = 0.815; DY 0.4 + 0.3 + 0.3×0.25 = 0.775.
			rows, err := m.Ranking(ctx, q)
			if err != nil || len(rows) != 2 || rows[0].Dept != "DX" || !near(rows[0].Score, 0.815) || rows[1].Rank != 2 || !near(rows[1].Score, 0.775) {
				t.Fatalf("ranking = %+v, %v", rows, err)
			}
			if rows, _ := m.Ranking(ctx, own); len(rows) != 1 || rows[0].Dept != "DY" || rows[0].Rank != 2 {
				t.Errorf("DY's ranking = %+v", rows)
			}
			// By week: the objections fall in ISO week 42 of 2026.
			wk, err := m.Series(ctx, "objection_on_time", monitor.Query{Period: monitor.Week, N: 8})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range wk.Lines[0].Points {
				if (p.Period == "2026-W42") != (p.Value != nil) {
					t.Errorf("week %s (%d): %+v", p.Period, i, p)
				}
			}
			// The XLSX holds the same numbers.
			sr, err = m.Series(ctx, "records_per_1000", q)
			if err != nil {
				t.Fatal(err)
			}
			data, err := monitor.XLSX(sr, "每千户主体信用记录数", monitor.LabelsZh, func(k string) string { return k })
			if err != nil {
				t.Fatal(err)
			}
			checkXLSX(t, data, sr)
		})
	}
}

// checkXLSX reads a workbook back and compares every row with the series.
func checkXLSX(t *testing.T, data []byte, sr *monitor.Series) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(monitor.LabelsZh.Sheet)
	if err != nil {
		t.Fatal(err)
	}
	i := 2
	for _, l := range sr.Lines {
		for _, p := range l.Points {
			if i >= len(rows) {
				t.Fatalf("workbook has %d rows, series more", len(rows))
			}
			row := rows[i]
			i++
			if row[0] != p.Period || row[2] != l.Key {
				t.Errorf("row %d = %v, want period %s key %q", i, row, p.Period, l.Key)
				continue
			}
			v, err := strconv.ParseFloat(row[3], 64)
			if p.Value == nil || err != nil || !near(v, *p.Value) {
				t.Errorf("row %d value %q, want %v", i, row[3], p.Value)
			}
			num, _ := strconv.ParseFloat(row[4], 64)
			den, _ := strconv.ParseFloat(row[5], 64)
			if num != p.Num || den != p.Den {
				t.Errorf("row %d num/den %s/%s, want %v/%v", i, row[4], row[5], p.Num, p.Den)
			}
		}
	}
	if i != len(rows) {
		t.Errorf("workbook has %d rows, series %d", len(rows), i)
	}
}
