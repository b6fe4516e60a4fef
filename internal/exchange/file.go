package exchange

import (
	"bufio"
	"bytes"
	"context"
	"io"

	"github.com/xinyong/xinyong/internal/credit"
)

// Files carry the feed where networks do not connect (the government
// intranet and the internet zone exchange by file ferry): a file is the
// signed batches of a feed segment one after the other, each verified and
// applied on import by the same code as a batch from JetStream or HTTP.

// Export writes this node's feed for peer after position after, up to
// its head now, as signed batches to w, and returns the position it
// reached and how many facts it wrote. snapshot marks the batches as a
// bootstrap segment (from position 0: everything of this node's).
func (s *Service) Export(ctx context.Context, peer string, after int64, w io.Writer) (to int64, facts int, err error) {
	p, err := s.Peer(ctx, peer)
	if err != nil {
		return after, 0, err
	}
	if s.cfg.Identity == nil {
		return after, 0, credit.Say("exchange.Export", credit.Unavailable, "本节点尚未设置交换身份（xinyong exchange init）", "this node has no exchange identity (xinyong exchange init)")
	}
	head, err := s.cfg.Store.ChangeHead(ctx)
	if err != nil {
		return after, 0, err
	}
	pos := after
	snapshot := after == 0
	for {
		prod, err := s.Produce(ctx, p, pos, snapshot, 0)
		if err != nil {
			return pos, facts, err
		}
		b := prod.Batch
		if b.Header.To <= pos {
			return pos, facts, nil
		}
		data, err := Encode(b, s.cfg.Identity.Key)
		if err != nil {
			return pos, facts, err
		}
		if _, err := w.Write(data); err != nil {
			return pos, facts, err
		}
		facts += len(b.Facts)
		pos = b.Header.To
		if pos >= head {
			return pos, facts, nil
		}
	}
}

// ImportResult sums up an import.
type ImportResult struct {
	Batches, Applied, Held, Skipped, Refused int
	Errors                                   []error
}

// Import reads signed batches from r and applies each as it comes; a
// refused batch is reported and the next one tried (it fails for a gap if
// it needed the refused one). from, when not empty, is the origin the file
// must come from.
func (s *Service) Import(ctx context.Context, r io.Reader, from string) (*ImportResult, error) {
	out := &ImportResult{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var cur bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		cur.Write(line)
		cur.WriteByte('\n')
		if !bytes.HasPrefix(line, []byte(`{"sig"`)) {
			continue
		}
		out.Batches++
		res, err := s.Apply(ctx, cur.Bytes(), "file", from)
		cur.Reset()
		if err != nil {
			out.Refused++
			out.Errors = append(out.Errors, err)
			continue
		}
		out.Applied += res.Applied
		out.Held += res.Held
		out.Skipped += res.Skipped
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if cur.Len() > 0 {
		out.Refused++
		out.Errors = append(out.Errors, credit.Say("exchange.Import", credit.Invalid, "文件末尾的批次不完整（缺少签名行）", "the last batch of the file is incomplete (no signature line)"))
	}
	return out, nil
}
