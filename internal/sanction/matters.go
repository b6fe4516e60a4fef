package sanction

import (
	"context"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Matter scoping. A business-system account may check only the matters an
// administrator has set for it; an account with none may check nothing
// (explicit scoping: a system that was never scoped must not see every
// matter's measures). The matters are read on every check through a short
// cache, so a change reaches other nodes within mattersTTL.

const mattersTTL = 2 * time.Second

type mattersCache struct {
	mu sync.RWMutex
	m  map[string]cachedMatters
}

type cachedMatters struct {
	matters []string
	at      time.Time
}

// Matters returns the matters an account may check.
func (s *Service) Matters(ctx context.Context, accountID string) ([]string, error) {
	now := time.Now()
	s.matters.mu.RLock()
	c, ok := s.matters.m[accountID]
	s.matters.mu.RUnlock()
	if ok && now.Sub(c.at) < mattersTTL {
		return c.matters, nil
	}
	ms, err := s.Store.AccountMatters(ctx, accountID)
	if err != nil {
		return nil, err
	}
	s.matters.mu.Lock()
	if s.matters.m == nil {
		s.matters.m = make(map[string]cachedMatters)
	}
	s.matters.m[accountID] = cachedMatters{matters: ms, at: now}
	s.matters.mu.Unlock()
	return ms, nil
}

// SetMatters sets the matters a business-system account may check. Every
// matter must be in the catalogue.
func (s *Service) SetMatters(ctx context.Context, acc *credit.Account, matters []string) error {
	const op = "sanction.SetMatters"
	if acc.Role != credit.RoleBusiness {
		return credit.Say(op, credit.Invalid, "账号%[1]s不是业务系统账号：只有业务系统账号可以发起核查", "account %[1]s is a %[2]s account; only business-system accounts make hit checks", acc.Name, acc.Role)
	}
	for _, m := range matters {
		if _, err := s.Catalog.Matter(m); err != nil {
			return credit.Wrap(op, credit.Invalid, err)
		}
	}
	if err := s.Store.SetAccountMatters(ctx, acc.ID, matters); err != nil {
		return credit.Wrap(op, credit.Other, err)
	}
	s.matters.mu.Lock()
	delete(s.matters.m, acc.ID)
	s.matters.mu.Unlock()
	return nil
}

// CheckLog returns a logged check, writing this node's queue first so a
// check just answered is found.
func (s *Service) CheckLog(ctx context.Context, id string) (*credit.CheckLog, error) {
	chk, err := s.Store.Check(ctx, id)
	if credit.Is(credit.NotFound, err) {
		if ferr := s.Flush(ctx); ferr == nil {
			chk, err = s.Store.Check(ctx, id)
		}
	}
	return chk, err
}
