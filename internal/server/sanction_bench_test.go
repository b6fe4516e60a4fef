package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/uscc"
)

// BenchmarkCheckHTTPSingle is one single-subject hit check over loopback
// HTTP through the real handler, sequentially: the cost of one request.
func BenchmarkCheckHTTPSingle(b *testing.B) {
	e := newSanctionEnvB(b)
	acc, _ := e.st.Account(b.Context(), "procurement")
	if err := e.sanc.SetMatters(b.Context(), acc, []string{"gov_procurement"}); err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: orgCode}}})
	client := &http.Client{}
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/checks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.keys["procurement"])
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// BenchmarkCheckHTTPSingleParallel is the same with concurrent clients.
func BenchmarkCheckHTTPSingleParallel(b *testing.B) {
	e := newSanctionEnvB(b)
	acc, _ := e.st.Account(b.Context(), "procurement")
	if err := e.sanc.SetMatters(b.Context(), acc, []string{"gov_procurement"}); err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: orgCode}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/checks", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.keys["procurement"])
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// BenchmarkCheckHTTPBatch is one 1000-subject hit check over loopback HTTP
// (one subject listed), sequentially.
func BenchmarkCheckHTTPBatch(b *testing.B) {
	e := newSanctionEnvB(b)
	acc, _ := e.st.Account(b.Context(), "procurement")
	if err := e.sanc.SetMatters(b.Context(), acc, []string{"gov_procurement"}); err != nil {
		b.Fatal(err)
	}
	g := uscc.NewGenerator(9)
	qs := []sanction.Query{{Code: orgCode}}
	for len(qs) < sanction.MaxSubjects {
		qs = append(qs, sanction.Query{Code: g.USCC('9', '1', "350100")})
	}
	body, _ := json.Marshal(sanction.Request{Matter: "gov_procurement", Subjects: qs})
	client := &http.Client{}
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/checks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.keys["procurement"])
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N*sanction.MaxSubjects)/b.Elapsed().Seconds(), "subjects/s")
}

// BenchmarkCheckHandler is one single-subject check through the node's
// whole handler (middleware, route table, auth, JSON, the check, the log
// queue) with no network: the server path's own CPU and allocations per
// check. BenchmarkBareHandler, the same harness around a handler that only
// answers a constant body, is its baseline.
func BenchmarkCheckHandler(b *testing.B) {
	e := newSanctionEnvB(b)
	acc, _ := e.st.Account(b.Context(), "procurement")
	if err := e.sanc.SetMatters(b.Context(), acc, []string{"gov_procurement"}); err != nil {
		b.Fatal(err)
	}
	benchHandler(b, e.srv.Config.Handler, e.keys["procurement"])
}

func BenchmarkBareHandler(b *testing.B) {
	body := []byte(`{"id":"01a20897-cd86-7b1b-ab02-969f5bcca4bf","version":1,"matter":"gov_procurement","results":[{"code":"` + orgCode + `","listed":false}]}`)
	benchHandler(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), "")
}

func benchHandler(b *testing.B, h http.Handler, key string) {
	body, _ := json.Marshal(sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: orgCode}}})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("POST", "/api/v1/checks", bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.1:4000"
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
