package auth

import (
	"sync"
	"time"
)

// KeyCache remembers, for a short time, the principal an API key
// authenticated as, so that a business system calling the hit check
// thousands of times a second does not cost two database reads per call.
//
// Only successful key authentications are cached, by the key's hash. The
// price is that revoking a key or disabling its account takes effect on a
// node up to TTL later; keep TTL to a second or two. Application nodes stay
// stateless: the cache is rebuilt from the store as entries expire.
type KeyCache struct {
	TTL time.Duration

	mu sync.RWMutex
	m  map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p  Principal
	at time.Time
}

// maxCachedKeys bounds the cache; past it, the cache is emptied (keys are
// few: one or two per business system).
const maxCachedKeys = 10000

func (c *KeyCache) get(hash string, now time.Time) (Principal, bool) {
	if c == nil {
		return Principal{}, false
	}
	c.mu.RLock()
	e, ok := c.m[hash]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= c.TTL || now.Before(e.at) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *KeyCache) put(hash string, p Principal, now time.Time) {
	if c == nil || c.TTL <= 0 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[string]cachedPrincipal)
	}
	c.m[hash] = cachedPrincipal{p: p, at: now}
	c.mu.Unlock()
}
