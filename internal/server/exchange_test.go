package server_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/records"
)

// TestFeedForADepartment: a department reads the node's feed for it over
// HTTP, signed by the node; it holds what the catalogue's sharing scope
// allows (无条件共享, and 有条件共享 only for the items the department stated
// a purpose for); another department cannot read it.
func TestFeedForADepartment(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	pen := e.appendRecord(e.keys[credit.RoleDept])
	contract, _, err := e.svc.Append(ctx, records.Report{Item: "contract_performance", Dept: deptCode, SubjectID: orgCode, Fields: credit.Fields{
		"ht_mc": orgName, "ht_lb": "法人及非法人组织", "ht_shxym": orgCode, "ht_bh": "HT-1", "ht_htmc": "采购合同", "ht_lx": "政府采购合同",
		"ht_xdf": "财政局", "ht_qdrq": e.clock.Date(-100), "ht_lxqk": "违约", "ht_rdrq": e.clock.Date(-10), "ht_rddw": "财政局"}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "GET", path: "/api/v1/feeds/" + feedPeer + "?after=0", key: e.keys[credit.RoleDept], purpose: "共享"})
	if r.status != http.StatusOK {
		t.Fatalf("feed: %d %s", r.status, r.body)
	}
	node := e.node.Exchange.Identity()
	b, err := exchange.Decode(r.body, func(string) (ed25519.PublicKey, bool) { return node.Key.Public().(ed25519.PublicKey), true }, node.Node.ID)
	if err != nil {
		t.Fatalf("the feed does not verify with the node's key: %v", err)
	}
	got := map[string]bool{}
	for _, f := range b.Facts {
		got[f.ID] = true
	}
	if !got[pen] {
		t.Errorf("the penalty (无条件共享) is not in the department's feed")
	}
	if got[contract.ID] {
		t.Errorf("the contract record (有条件共享, no purpose stated for it) is in the department's feed")
	}
	if r := e.do(req{method: "GET", path: "/api/v1/feeds/" + feedPeer, key: e.dept2, purpose: "共享"}); r.status != http.StatusForbidden {
		t.Fatalf("another department read the feed: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/feeds/" + feedPeer + "?after=x", key: e.keys[credit.RoleAdmin], purpose: "共享"}); r.status != http.StatusBadRequest {
		t.Fatalf("after=x: %d %s", r.status, r.body)
	}
}

// TestHTTPPull: a province without NATS pulls the county's feed over HTTP
// with an account of the county, and applies it.
func TestHTTPPull(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	pen := e.appendRecord(e.keys[credit.RoleDept])
	accs := &auth.Accounts{Store: e.st}
	if _, err := accs.CreateAccount(ctx, "fujian-pull", "省平台拉取", credit.RoleDept, "CREDIT-350100", "", password); err != nil {
		t.Fatal(err)
	}
	key, _, err := accs.NewKey(ctx, "fujian-pull")
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	pn := credit.Node{ID: "fujian", Level: credit.LevelProvince, Region: "350000", Name: "福建省公共信用信息平台", PublicKey: pub}
	county := e.node.Exchange.Identity().Node
	if err := e.st.PutPeer(ctx, &credit.Peer{ID: "fujian", Relation: credit.PeerSuperior, Transport: credit.TransportHTTP, PublicKey: pub, Account: "fujian-pull"}); err != nil {
		t.Fatal(err)
	}
	st := apptest.Store(t, "")
	if err := st.PutExchangeNode(ctx, &pn); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPeer(ctx, &credit.Peer{ID: county.ID, Relation: credit.PeerSubordinate, Transport: credit.TransportHTTP, PublicKey: county.PublicKey,
		URL: e.srv.URL, APIKey: key}); err != nil {
		t.Fatal(err)
	}
	province := apptest.New(t, apptest.Options{Store: st, NoSearchIndex: true, Exchange: app.ExchangeParts{Identity: &exchange.Identity{Node: pn, Key: priv}}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { province.Exchange.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) { // a bound on a hang, not a measure
		if _, err := province.Store.Record(ctx, pen); err == nil {
			break
		}
		if time.Now().After(deadline) {
			c, _ := province.Store.ExchangeCursor(ctx, county.ID)
			t.Fatalf("the county's record did not arrive by HTTP pull: cursor %+v", c)
		}
	}
	if o, _ := province.Store.AppliedOrigin(ctx, pen); o != county.ID {
		t.Errorf("origin %q", o)
	}
}
