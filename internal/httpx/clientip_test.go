package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name      string
		peer      string
		xff       []string
		want      string
		untrusted bool // run with no trusted proxies configured
	}{
		{name: "no proxy configured: header ignored", peer: "10.0.0.5:4000", xff: []string{"198.51.100.7"}, want: "10.0.0.5", untrusted: true},
		{name: "untrusted peer: header ignored", peer: "203.0.113.9:4000", xff: []string{"198.51.100.7"}, want: "203.0.113.9"},
		{name: "trusted peer, no header", peer: "10.0.0.5:4000", want: "10.0.0.5"},
		{name: "trusted peer names the client", peer: "10.0.0.5:4000", xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "client's own header stays to the left", peer: "10.0.0.5:4000", xff: []string{"192.0.2.66, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "two trusted proxies", peer: "127.0.0.1:4000", xff: []string{"198.51.100.7, 10.1.2.3"}, want: "198.51.100.7"},
		{name: "hops in two headers", peer: "10.0.0.5:4000", xff: []string{"192.0.2.66", "198.51.100.7, 10.9.9.9"}, want: "198.51.100.7"},
		{name: "entry with a port", peer: "10.0.0.5:4000", xff: []string{"198.51.100.7:5123"}, want: "198.51.100.7"},
		{name: "IPv6 client, IPv6 proxy", peer: "[fd00::1]:4000", xff: []string{"2001:db8::7"}, want: "2001:db8::7"},
		{name: "IPv4-mapped client", peer: "10.0.0.5:4000", xff: []string{"::ffff:198.51.100.7"}, want: "198.51.100.7"},
		{name: "malformed nearest entry: the proxy", peer: "10.0.0.5:4000", xff: []string{"198.51.100.7, unknown"}, want: "10.0.0.5"},
		{name: "malformed farther entry: the vouched-for hop", peer: "10.0.0.5:4000", xff: []string{"garbage, 10.2.2.2"}, want: "10.2.2.2"},
		{name: "all hops trusted: the farthest", peer: "10.0.0.5:4000", xff: []string{"10.3.3.3, 10.2.2.2"}, want: "10.3.3.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = RemoteIP(r) })
			tr := trusted
			if tc.untrusted {
				tr = nil
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			ClientIP(tr, h).ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Errorf("client %q, want %q", got, tc.want)
			}
			if r.RemoteAddr != tc.peer {
				t.Errorf("the caller's request was changed: RemoteAddr %q", r.RemoteAddr)
			}
		})
	}
}
