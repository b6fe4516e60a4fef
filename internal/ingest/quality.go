package ingest

import "github.com/xinyong/xinyong/internal/credit"

// Quality is a department's data-quality figures, as rates in [0, 1].
type Quality struct {
	Dept    string             `json:"dept"`
	Batches int                `json:"batches"`
	Counts  credit.BatchCounts `json:"counts"`
	// Timeliness is the share of rows with a reporting deadline (双公示:
	// 7 working days after the decision, counted on a weekend-only
	// calendar for now, see internal/workday) that arrived in time.
	Timeliness float64 `json:"timeliness"`
	// ErrorRate is the share of rows rejected.
	ErrorRate float64 `json:"error_rate"`
	// CodeErrorRate (重错码率) is the share of rows carrying a subject USCC
	// whose code failed its checks (rejected, or a flagged legacy code).
	CodeErrorRate float64 `json:"code_error_rate"`
	// Completeness is the share of optional fields filled in accepted rows.
	Completeness float64 `json:"completeness"`
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// QualityOf computes the figures from a department's totals.
func QualityOf(q credit.DeptQuality) Quality {
	c := q.Counts
	t := 1.0
	if c.Timed > 0 {
		t = 1 - ratio(c.Late, c.Timed)
	}
	return Quality{Dept: q.Dept, Batches: q.Batches, Counts: c, Timeliness: t,
		ErrorRate: ratio(c.Rejected, c.Total), CodeErrorRate: ratio(c.CodeErrors, c.CodesChecked),
		Completeness: ratio(c.Filled, c.Fillable)}
}
