package app

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/evaluation"
)

// EvaluationInterval is how often a node follows the change feed into the
// evaluation: a record, list event, case or commitment re-evaluates its
// subject within about this long.
const EvaluationInterval = 200 * time.Millisecond

// buildEvaluation wires the public credit evaluation: the publication
// engine says what counts, the workflows' marks what is under objection or
// repaired, the sanction service which lists apply (brought in step
// before each step). One shared cursor over the change feed keeps the
// kept scores, so on an installation of several nodes each change is
// evaluated once.
func (a *App) buildEvaluation(ctx context.Context) error {
	ev, err := evaluation.New(ctx, evaluation.Config{
		Store: a.Store, Catalog: a.Catalog, Publish: a.Publish, Marks: a.Marks, Lists: a.Sanction,
		Sync: a.Sanction.Sync, Logger: a.Logger, Now: a.Now,
	})
	if err != nil {
		return err
	}
	a.Evaluation = ev
	a.loops = append(a.loops, func(ctx context.Context) { ev.Follow(ctx, EvaluationInterval) })
	return nil
}
