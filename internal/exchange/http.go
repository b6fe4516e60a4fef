package exchange

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// FeedPurpose is the purpose an HTTP pull states (X-Purpose): reading a
// peer's feed is a read of non-public data.
const FeedPurpose = "信用信息共享交换（国发〔2016〕33号）"

// Feed answers GET /api/v1/feeds/{feed}?after=POS: the next signed batch
// of this node's feed for peer after position after. Only an
// administrator or the peer's own account (Peer.Account) reads it.
func (s *Service) Feed(ctx context.Context, a credit.Actor, peer string, after int64) ([]byte, error) {
	const op = "exchange.Feed"
	p, err := s.Peer(ctx, peer)
	if err != nil {
		return nil, err
	}
	if a.Role != credit.RoleAdmin && (p.Account == "" || a.Name != p.Account) {
		return nil, credit.Say(op, credit.Permission, "只有对端%[1]s自己的账号可以读取它的交换数据", "only peer %[1]s's own account reads its feed", peer)
	}
	if p.Disabled {
		return nil, credit.Say(op, credit.Permission, "对端%s已停用", "peer %s is disabled", peer)
	}
	if after < 0 {
		return nil, credit.Say(op, credit.Invalid, "after须为非负整数", "after must be a position, 0 or more")
	}
	prod, err := s.Produce(ctx, p, after, after == 0, 0)
	if err != nil {
		return nil, err
	}
	s.metrics.publishedFacts(p.ID, len(prod.Batch.Facts))
	return Encode(prod.Batch, s.cfg.Identity.Key)
}

// pull follows peer p's feed for this node over HTTP, for peers without
// NATS: it asks for the batch after its cursor and applies it, at once
// again while batches carry facts, else after a pause.
func (s *Service) pull(ctx context.Context, p credit.Peer) {
	me := s.cfg.Identity.Node.ID
	backoff := time.Second
	for ctx.Err() == nil {
		cur, err := s.cfg.Store.ExchangeCursor(ctx, p.ID)
		var res *Result
		if err == nil {
			var data []byte
			data, err = s.fetch(ctx, p, me, cur.Pos)
			if err == nil {
				res, err = s.Apply(ctx, data, "http", p.ID)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			_ = s.cfg.Store.NoteExchange(ctx, p.ID, 0, time.Time{}, err.Error(), s.now())
			s.cfg.Logger.Warn("exchange: HTTP pull failed; retrying", "peer", p.ID, "err", err)
			sleep(ctx, backoff)
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if res.To <= cur.Pos || (res.Applied == 0 && res.Held == 0) {
			sleep(ctx, 5*s.cfg.Poll)
		}
	}
}

// fetch asks p for its feed for node me after position after.
func (s *Service) fetch(ctx context.Context, p credit.Peer, me string, after int64) ([]byte, error) {
	u := strings.TrimRight(p.URL, "/") + "/api/v1/feeds/" + url.PathEscape(me) + "?after=" + strconv.FormatInt(after, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if p.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.APIKey)
	}
	req.Header.Set("X-Purpose", FeedPurpose)
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", u, resp.Status, bytes.TrimSpace(body[:min(len(body), 300)]))
	}
	return body, nil
}
