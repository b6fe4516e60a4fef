package ratelimit

import (
	"net/http/httptest"
	"testing"
)

// TestPublicPaths: the public reads that cost the store (search, subject
// pages, list pages and entries, the 双公示 search) are limited; the
// credit file and static files are not.
func TestPublicPaths(t *testing.T) {
	for path, want := range map[string]bool{
		"/search?q=x": true, "/subjects/91350100M000100Y43": true, "/lists/black": true, "/lists/tax_a_grade/e1": true,
		"/publicity?kind=penalty": true, "/api/v1/lists/black": true,
		"/subjects/91350100M000100Y43/file": false, "/static/style.css": false, "/": false, "/login": false,
	} {
		if got := PublicPath(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("%s: limited %v, want %v", path, got, want)
		}
	}
	if PublicPath(httptest.NewRequest("POST", "/search", nil)) {
		t.Error("a POST is limited as a public read")
	}
}
