package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/workflow"
)

type openapiOp struct {
	Roles   []credit.Role `json:"x-roles"`
	Purpose bool          `json:"x-purpose"`
	Audited bool          `json:"x-audited"`
}

// TestOpenAPIMatchesRoutes holds the document and the route table
// together: every route is documented with the same method, path, roles
// and purpose flag, and the document has no operation the table lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                          `json:"openapi"`
		Paths   map[string]map[string]openapiOp `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	routes := (&API{}).table()
	inTable := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if inTable[key] {
			t.Errorf("%s is in the table twice", key)
		}
		inTable[key] = true
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s is not documented", key)
			continue
		}
		want, got := sortedRoles(rt.Roles), sortedRoles(op.Roles)
		if !slices.Equal(want, got) {
			t.Errorf("%s: x-roles %v, table %v", key, got, want)
		}
		if op.Purpose != rt.Purpose {
			t.Errorf("%s: x-purpose %v, table %v", key, op.Purpose, rt.Purpose)
		}
		if op.Audited != rt.Audited {
			t.Errorf("%s: x-audited %v, table %v", key, op.Audited, rt.Audited)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if key := strings.ToUpper(method) + " " + path; !inTable[key] {
				t.Errorf("%s is documented but not in the route table", key)
			}
		}
	}
}

// TestOpenAPICaseActions: the steps the document offers on a case are the
// steps the one dispatcher (workflow.Act) takes, in the same order.
func TestOpenAPICaseActions(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct {
							Enum []string `json:"enum"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	got := doc.Paths[Prefix+"/cases/{id}/actions"]["post"].RequestBody.Content["application/json"].Schema.Properties["action"].Enum
	if want := workflow.Actions(); !slices.Equal(got, want) {
		t.Errorf("POST /cases/{id}/actions documents the actions\n%v\nthe dispatcher takes\n%v", got, want)
	}
}

func sortedRoles(rs []credit.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	sort.Strings(out)
	return out
}

// TestTableIsLawful checks properties every row must have, whatever is
// added later: roles are known, every route has an action for the audit
// log and a handler, and nothing that reads non-public data or writes is
// open to anonymous callers.
func TestTableIsLawful(t *testing.T) {
	for _, rt := range (&API{}).table() {
		key := rt.Method + " " + rt.Path
		if len(rt.Roles) == 0 || rt.Action == "" || rt.Summary == "" || rt.Handler == nil {
			t.Errorf("%s: incomplete row", key)
		}
		for _, r := range rt.Roles {
			if !r.Valid() {
				t.Errorf("%s: unknown role %q", key, r)
			}
		}
		if !strings.HasPrefix(rt.Path, Prefix+"/") {
			t.Errorf("%s: outside %s", key, Prefix)
		}
		public := slices.Contains(rt.Roles, credit.RolePublic)
		write := rt.Method != http.MethodGet
		if public && rt.Purpose {
			t.Errorf("%s: a purpose-bound read is open to the public", key)
		}
		if public && write && rt.Path != Prefix+"/sessions" {
			t.Errorf("%s: a write is open to the public", key)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		kind   credit.Kind
		status int
	}{
		{credit.Invalid, 400}, {credit.NotFound, 404}, {credit.Exists, 409}, {credit.Conflict, 409},
		{credit.Permission, 403}, {credit.Unauthenticated, 401}, {credit.Unavailable, 503},
		{credit.Internal, 500}, {credit.Other, 500},
	}
	for _, c := range cases {
		if got := StatusOf(c.kind); got != c.status {
			t.Errorf("StatusOf(%v) = %d, want %d", c.kind, got, c.status)
		}
	}
	inner := credit.E("", credit.NotFound, "unknown catalogue item %q", "x")
	err := credit.Wrap("records.Append", credit.Invalid, credit.Wrap("records.Prepare", credit.Invalid, inner))
	if got := message(err); got != `unknown catalogue item "x"` {
		t.Errorf("message = %q", got)
	}
	if got := message(errors.New("plain")); got != "plain" {
		t.Errorf("message(plain) = %q", got)
	}
}

// TestOpenAPICommitmentActions: the steps the document offers on a
// commitment and a declaration are those the handlers take.
func TestOpenAPICommitmentActions(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct {
							Enum []string `json:"enum"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for path, want := range map[string][]string{"/commitments/{id}/actions": CommitActions, "/declarations/{id}/actions": DeclarationActions} {
		got := doc.Paths[Prefix+path]["post"].RequestBody.Content["application/json"].Schema.Properties["action"].Enum
		if !slices.Equal(got, want) {
			t.Errorf("POST %s documents %v, the handler takes %v", path, got, want)
		}
	}
}
