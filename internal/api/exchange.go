package api

import (
	"net/http"
	"strconv"

	"github.com/xinyong/xinyong/internal/credit"
)

// exchangeRoutes are the exchange's routes: a peer platform (or a
// department) without NATS pulls this node's feed for it over HTTP
// (国发〔2016〕33号 (十八): platforms of every level connected).
func (a *API) exchangeRoutes() []Route {
	return []Route{
		{Method: "GET", Path: Prefix + "/feeds/{feed}", Roles: roles(credit.RoleAdmin, credit.RoleDept), Purpose: true, Audited: true, Action: "exchange.feed.read",
			Summary: "The next signed batch (JSON Lines: header, facts as ADD/MOD/DEL, signature) of this node's feed for a peer after position after; only the peer's own account or an administrator", Handler: a.feed},
	}
}

// feed answers one HTTP pull of a peer's feed.
func (a *API) feed(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.feed"
	if a.cfg.Exchange == nil || a.cfg.Exchange.Identity() == nil {
		return 0, nil, credit.Say(op, credit.Unavailable, "本节点未开通交换", "this node does not exchange")
	}
	peer := r.PathValue("feed")
	c.Target = "feed:" + peer
	after := int64(0)
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, nil, credit.Say(op, credit.Invalid, "after须为非负整数，不能为“%s”", "after must be a position (0 or more), not %q", v)
		}
		after = n
	}
	data, err := a.cfg.Exchange.Feed(r.Context(), c.P.Actor(), peer, after)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, fileBody{contentType: "application/x-ndjson; charset=utf-8", name: peer + "-" + strconv.FormatInt(after, 10) + ".jsonl", data: data}, nil
}
