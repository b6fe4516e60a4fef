package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/server"
)

// TestReadyzDataKey: a node is ready only while the store accepts its data
// key: not before the key is registered, and not once a rotation to a key
// it does not hold has begun.
func TestReadyzDataKey(t *testing.T) {
	var s *pii.Sealer
	e := newEnvWith(t, func(d *server.Deps) {
		s = d.Sealer
		d.KeyCheck = func(ctx context.Context) error { return pii.Usable(ctx, d.Store, s) }
	})
	ready := func() (int, string) {
		r := e.get("/readyz")
		return r.status, string(r.body)
	}
	if code, body := ready(); code != http.StatusServiceUnavailable || !strings.Contains(body, "data key") {
		t.Fatalf("readyz with a key the store does not know: %d %s", code, body)
	}
	if _, _, err := pii.Check(t.Context(), e.st, s, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("readyz with the registered key: %d %s", code, body)
	}
	// Another node begins a rotation to a new key.
	both, err := pii.New(bytes.Repeat([]byte{9}, 32), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pii.Check(t.Context(), e.st, both, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if code, body := ready(); code != http.StatusServiceUnavailable || !strings.Contains(body, "rotation") {
		t.Fatalf("readyz during a rotation this node cannot follow: %d %s", code, body)
	}
}
