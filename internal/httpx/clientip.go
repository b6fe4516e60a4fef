package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP makes the client's address, not the proxy's, the request's
// RemoteAddr when the platform runs behind reverse proxies or load
// balancers listed in trusted. Per-address login limits, public rate
// limits, access logs and the audit trail all read RemoteAddr (through
// RemoteIP); behind a proxy they would otherwise see one address for
// everybody, so one client's failed logins would lock out all.
//
// X-Forwarded-For is believed only from a trusted peer, and only as far as
// it is vouched for: the hops are read from the right (the nearest proxy's
// entry last) and the first address not itself trusted is the client. A
// client cannot pass as another by sending its own X-Forwarded-For: the
// proxies append to it, so what it wrote stays to the left. A malformed
// entry stops the walk and leaves the nearest vouched-for address.
func ClientIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := forwardedClient(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); ok {
			r2 := new(http.Request)
			*r2 = *r
			r2.RemoteAddr = netip.AddrPortFrom(client, 0).String()
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedClient is the client address ClientIP settles on, and false
// when the request's peer is used as it is.
func forwardedClient(remoteAddr string, xff []string, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseHop(remoteAddr)
	if !ok || !isTrusted(peer, trusted) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, h := range xff {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client, client != peer
}

// parseHop reads an address as X-Forwarded-For entries and RemoteAddr
// give it: bare ("192.0.2.1", "2001:db8::1") or with a port
// ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
