package credit

import (
	"context"
	"time"
)

// RecordQuery finds original facts for the 双公示 search (行政许可 and
// 行政处罚 published within seven working days of the decision, 国办发
// 〔2019〕35号 (六); searched by document number, department or date).
// The store finds the facts; what of them is shown is the publication
// engine's decision on the chain each one starts.
type RecordQuery struct {
	// Items are the catalogue items searched (required).
	Items []string
	// Dept is the reporting department's code.
	Dept string
	// DocNo is the start of the document number (文书号).
	DocNo string
	// From and To bound the decision date: From <= decided < To.
	From, To time.Time
	// Offset and Limit page the results, newest decision first; Limit
	// <= 0 means 50, and at most 500.
	Offset, Limit int
}

// RecordSearchStore finds facts by document, department and date.
type RecordSearchStore interface {
	// FindRecords returns the original facts (never corrections or
	// revocations) that q matches, newest decision first, then newest
	// fact first.
	FindRecords(ctx context.Context, q RecordQuery) ([]Record, error)
}
