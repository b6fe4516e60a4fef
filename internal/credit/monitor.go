package credit

import (
	"context"
	"time"
)

// MonitorStore answers the counts of the city credit monitoring
// (城市信用状况监测, internal/monitor) by period, one scan per question.
// Bounds are instants in ascending order; a period is [bounds[i],
// bounds[i+1]).
type MonitorStore interface {
	// QualityByPeriod is Quality for the batches started in each period:
	// out[i] holds the departments' totals of period i (len(bounds)-1
	// periods); batches outside every period are left out.
	QualityByPeriod(ctx context.Context, bounds []time.Time) ([][]DeptQuality, error)
	// RecordsBefore counts, per reporting department, the facts received
	// before each bound: out[dept][i] for bounds[i].
	RecordsBefore(ctx context.Context, bounds []time.Time) (map[string][]int, error)
	// SubjectsBefore counts the subjects created before each bound.
	SubjectsBefore(ctx context.Context, bounds []time.Time) ([]int, error)
}
