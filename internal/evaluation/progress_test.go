package evaluation_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/evaluation/evalbench"
)

// progressLog keeps the messages logged and signals the first one that
// says how far the file copies got.
type progressLog struct {
	mu     sync.Mutex
	lines  []string
	logged chan struct{}
	once   sync.Once
}

func (h *progressLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *progressLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *progressLog) WithGroup(string) slog.Handler            { return h }
func (h *progressLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	h.mu.Lock()
	h.lines = append(h.lines, b.String())
	h.mu.Unlock()
	if r.Message == "evaluation: building the file copies" {
		h.once.Do(func() { close(h.logged) })
	}
	return nil
}

// gatedScan holds the scan of the file copies after its first subject
// until the progress line was logged, so that the pass is still running
// when the line comes, however fast the machine.
type gatedScan struct {
	evalbench.Store
	logged <-chan struct{}
	t      *testing.T
}

func (g gatedScan) ScanEvalFiles(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record) error) error {
	return g.Store.ScanEvalFiles(ctx, items, r, func(s *credit.Subject, recs []credit.Record) error {
		if err := fn(s, recs); err != nil {
			return err
		}
		select {
		case <-g.logged:
			return nil
		case <-time.After(time.Minute):
			g.t.Error("no progress logged while building the file copies")
			return context.DeadlineExceeded
		}
	})
}

// TestBuildFilesProgress: building the file copies, which takes minutes at
// a city's size, says how far it got while it runs, against the subjects
// stored.
func TestBuildFilesProgress(t *testing.T) {
	node, st := filledNode(t, apptest.SQLite, evalbench.Options{Subjects: 40, Records: 300, Seed: 5})
	ctx := t.Context()
	head, err := st.ChangeHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MoveFeedCursor(ctx, evaluation.CursorName, -1, head); err != nil {
		t.Fatal(err)
	}
	h := &progressLog{logged: make(chan struct{})}
	ev, err := evaluation.New(ctx, evaluation.Config{
		Store: gatedScan{Store: st, logged: h.logged, t: t}, Catalog: node.Catalog, Publish: node.Publish,
		Marks: node.Marks, Lists: node.Sanction, Logger: slog.New(h), Now: node.Clock.Now,
		ProgressEvery: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ev.BuildFiles(ctx)
	if err != nil || b.Subjects != 40 {
		t.Fatalf("BuildFiles: %+v %v", b, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var progress []string
	for _, l := range h.lines {
		if strings.HasPrefix(l, "evaluation: building the file copies ") {
			progress = append(progress, l)
		}
	}
	if len(progress) == 0 {
		t.Fatalf("no progress line among %q", h.lines)
	}
	if !strings.Contains(progress[len(progress)-1], " of=40 ") {
		t.Errorf("progress %q does not count against the 40 stored subjects", progress[len(progress)-1])
	}
}
