package workflow

import (
	"context"

	"github.com/xinyong/xinyong/internal/publish"
)

// PublishMarks is the publication engine's mark source: the marks Marks
// computes, keyed by origin record ID, in the engine's type.
type PublishMarks struct{ S *Service }

var _ publish.MarkSource = PublishMarks{}

// Marks implements publish.MarkSource.
func (p PublishMarks) Marks(ctx context.Context, recordIDs []string) (map[string]publish.Marks, error) {
	ms, err := p.S.MarksFor(ctx, recordIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]publish.Marks, len(ms))
	for id, m := range ms {
		out[id] = publish.Marks{UnderObjection: m.UnderObjection, UnderRepair: m.UnderRepair, Repaired: m.Repaired, BankruptcyMasked: m.BankruptcyMasked}
	}
	return out, nil
}
