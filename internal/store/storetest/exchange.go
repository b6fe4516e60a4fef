package storetest

import (
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testExchange checks the exchange's store: the node identity, peers as
// data, and ApplyExchange writing facts, keys, held facts and the cursor
// in one transaction, refusing a cursor that moved (Conflict) and a fact
// applied before (Conflict), with the applied positions left out of the
// node's own feed.
func testExchange(t *testing.T, s credit.Store) {
	c := ctx(t)
	if _, err := s.ExchangeNode(c); !credit.Is(credit.NotFound, err) {
		t.Fatalf("ExchangeNode on an empty store: %v", err)
	}
	n := &credit.Node{ID: "gulou", Level: credit.LevelCounty, Region: "350102", Name: "鼓楼区平台", PublicKey: []byte("0123456789abcdef0123456789abcdef")}
	if err := s.PutExchangeNode(c, n); err != nil {
		t.Fatal(err)
	}
	got, err := s.ExchangeNode(c)
	if err != nil || got.ID != n.ID || string(got.PublicKey) != string(n.PublicKey) || got.Name != n.Name {
		t.Fatalf("ExchangeNode = %+v, %v", got, err)
	}
	p := &credit.Peer{ID: "fuzhou", Relation: credit.PeerSuperior, Transport: credit.TransportNATS, PublicKey: []byte("k"),
		Items: []string{"admin_penalty"}, Regions: []string{"3501"}, Purposes: map[string]string{"admin_compulsion": "审批"}}
	if err := s.PutPeer(c, p); err != nil {
		t.Fatal(err)
	}
	p.Name = "福州市平台"
	if err := s.PutPeer(c, p); err != nil {
		t.Fatal(err)
	}
	peers, err := s.Peers(c)
	if err != nil || len(peers) != 1 || peers[0].Name != "福州市平台" || peers[0].Items[0] != "admin_penalty" || peers[0].Purposes["admin_compulsion"] != "审批" {
		t.Fatalf("Peers = %+v, %v", peers, err)
	}

	// A batch: a subject the facts need, two records, a list event, a
	// mark, a case outcome, and a held fact.
	subj := org("91350100M000100Y43", "福州甲公司")
	r1, r2 := rec(subj.ID, "d1"), rec(subj.ID, "d2")
	ev := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "key_watch", SubjectID: subj.ID, Step: credit.StepDecided, At: time.Now(),
		Detail: credit.EntryDetail{Origin: "fuzhou"}}
	mark := &credit.VerificationMark{ID: credit.NewID(), TargetKind: credit.VerifyRecord, TargetID: r1.ID, SubjectID: subj.ID, Active: true, At: time.Now()}
	cs := &credit.Case{ID: credit.NewID(), Kind: credit.CaseRepair, SubjectID: subj.ID, RecordID: r1.ID, State: "repaired", TrackHash: "exchange:fuzhou:x", Seq: 1,
		Created: time.Now(), Updated: time.Now()}
	a := &credit.ExchangeApply{Origin: "fuzhou", From: 0, To: 40, Head: 50, OriginAt: time.Now(), Need: []credit.Subject{*subj},
		Facts: []credit.ExchangeFact{
			{FactID: r1.ID, Kind: "record", Record: &r1}, {FactID: r2.ID, Kind: "record", Record: &r2},
			{FactID: ev.ID, Kind: "list_event", ListEvent: ev}, {FactID: mark.ID, Kind: "mark", Mark: mark},
			{FactID: cs.ID + "#1", Kind: "case", Case: cs, CaseEvents: []credit.CaseEvent{{ID: credit.NewID(), Seq: 1, Action: "approve", State: "repaired", Actor: "x", At: time.Now()}}},
		},
		Held: []credit.HeldFact{{Origin: "fuzhou", FactID: "h1", Kind: "record", Item: "honour", Pos: 39, Reason: "目录中没有", Body: []byte(`{}`)}},
	}
	before, _ := s.ChangeHead(c)
	if err := s.ApplyExchange(c, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(c, r2.ID); err != nil {
		t.Fatalf("applied record: %v", err)
	}
	if evs, err := s.EntryEvents(c, ev.EntryID); err != nil || len(evs) != 1 || evs[0].Seq <= before || evs[0].Detail.Origin != "fuzhou" {
		t.Fatalf("applied list event: %+v, %v", evs, err)
	}
	if got, err := s.Case(c, cs.ID); err != nil || got.State != "repaired" || got.Open {
		t.Fatalf("applied case: %+v, %v", got, err)
	}
	cur, err := s.ExchangeCursor(c, "fuzhou")
	if err != nil || cur.Pos != 40 || cur.Facts != 6 || cur.Head != 50 {
		t.Fatalf("cursor = %+v, %v", cur, err)
	}
	held, err := s.HeldFacts(c, "fuzhou", 0)
	if err != nil || len(held) != 1 || held[0].Reason != "目录中没有" {
		t.Fatalf("held = %+v, %v", held, err)
	}
	// Every change of the batch is another node's: left out of this
	// node's own feed; the origin of an applied fact is known.
	after, _ := s.ChangeHead(c)
	changes, err := s.ChangesSince(c, before, 0)
	if err != nil || int64(len(changes)) != after-before || len(changes) != 6 {
		t.Fatalf("changes of the batch: %d (%v)", len(changes), err)
	}
	positions := []int64{before, after}
	for _, ch := range changes {
		positions = append(positions, ch.Pos)
	}
	foreign, err := s.AppliedPositions(c, positions)
	if err != nil || len(foreign) != len(changes) || foreign[before] {
		t.Fatalf("AppliedPositions = %v, %v", foreign, err)
	}
	if o, err := s.AppliedOrigin(c, r1.ID); err != nil || o != "fuzhou" {
		t.Fatalf("AppliedOrigin = %q, %v", o, err)
	}
	done, err := s.AppliedFacts(c, "fuzhou", []string{r1.ID, "nope", cs.ID + "#1"})
	if err != nil || !done[r1.ID] || done["nope"] || !done[cs.ID+"#1"] {
		t.Fatalf("AppliedFacts = %v, %v", done, err)
	}

	// The same batch again: the cursor moved (Conflict), nothing written.
	wantKind(t, "apply from a moved cursor", s.ApplyExchange(c, a), credit.Conflict)
	// A fact applied before, from the right cursor: Conflict, nothing written.
	r3 := rec(subj.ID, "d3")
	again := &credit.ExchangeApply{Origin: "fuzhou", From: 40, To: 60, Facts: []credit.ExchangeFact{
		{FactID: r3.ID, Kind: "record", Record: &r3}, {FactID: r1.ID, Kind: "record", Record: &r1}}}
	wantKind(t, "a fact applied before", s.ApplyExchange(c, again), credit.Conflict)
	if _, err := s.Record(c, r3.ID); !credit.Is(credit.NotFound, err) {
		t.Fatalf("a refused apply wrote a record: %v", err)
	}
	if h, _ := s.ChangeHead(c); h != after {
		t.Fatalf("a refused apply wrote changes: head %d, was %d", h, after)
	}
	// Releasing a held fact, the cursor unmoved.
	rel := &credit.ExchangeApply{Origin: "fuzhou", From: 40, To: 40, Facts: []credit.ExchangeFact{{FactID: "h1", Kind: "record", Record: &r3}}, Released: held}
	if err := s.ApplyExchange(c, rel); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.HeldFacts(c, "", 0); len(held) != 0 {
		t.Fatalf("still held: %+v", held)
	}
	if cur, _ := s.ExchangeCursor(c, "fuzhou"); cur.Pos != 40 || cur.Facts != 6 {
		t.Fatalf("cursor after a release = %+v", cur)
	}
	if err := s.NoteExchange(c, "fuzhou", 70, time.Now(), "连接失败 / connection refused", time.Now()); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.ExchangeCursor(c, "fuzhou"); cur.Head != 70 || cur.LastError == "" {
		t.Fatalf("cursor after a note = %+v", cur)
	}
	if err := s.DeletePeer(c, "fuzhou"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete a missing peer", s.DeletePeer(c, "fuzhou"), credit.NotFound)
}
