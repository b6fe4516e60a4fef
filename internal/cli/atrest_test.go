package cli_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/uscc"
)

// TestNoIDNumberAtRest sends natural persons' ID numbers through every
// path a department has (a file imported on the command line, a court's
// list, a file uploaded through the API, a single record, a person
// registered, an ID number in a search and in a stated purpose), with rows
// rejected for their errors, on each backend; then it scans what the
// platform keeps at rest (every table, and with SQLite the database file,
// its WAL and shared memory), its logs and the rejects files for any of
// those numbers: there must be none.
func TestNoIDNumberAtRest(t *testing.T) {
	bin := binary(t)
	t.Run("sqlite", func(t *testing.T) {
		d := t.TempDir()
		atRest(t, bin, d, filepath.Join(d, "x.db"), "")
	})
	t.Run("postgres", func(t *testing.T) {
		atRest(t, bin, t.TempDir(), pgtest.TestDSN(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	})
}

func atRest(t *testing.T, bin, dir, db, key string) {
	ctx := t.Context()
	env := append(os.Environ(), "XINYONG_DB="+db, "XINYONG_LOG_FORMAT=text")
	if key != "" {
		env = append(env, "XINYONG_DATA_KEY="+key)
	}
	var logs bytes.Buffer
	cmd := func(args ...string) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = env
		out, err := c.CombinedOutput()
		logs.Write(out)
		// import exits 1 when it rejected rows, which these files are made to have.
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && args[0] == "import" && bytes.Contains(out, []byte("rejected rows with reasons")) {
			err = nil
		}
		if err != nil {
			t.Fatalf("xinyong %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The ID numbers sent: every person of the generated populations.
	ids := map[string]bool{}
	file := func(item, dept string, seed uint64, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		cmd("gen", "--item", item, "--rows", "400", "--seed", fmt.Sprint(seed), "--subjects", "300", "--error-rate", "0.3", "--dept", dept, "-o", p)
		g, err := gen.NewRecords(gen.RecordOptions{Item: item, Seed: seed, Subjects: 300})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			s := g.SubjectAt(i)
			if s.IDNo != "" {
				ids[s.IDNo] = true
			}
			if s.RepID != "" {
				ids[s.RepID] = true
			}
		}
		return p
	}
	penalties := file("admin_penalty", "SAMR-350100", 41, "penalties.csv")
	court := file("court_defaulter", "COURT-350100", 42, "court.csv")
	upload := file("admin_licence", "SAMR-350100", 43, "licences.csv")
	cmd("import", "--dept", "SAMR-350100", "--item", "admin_penalty", "--quiet", penalties)
	cmd("import", "--dept", "COURT-350100", "--item", "court_defaulter", "--quiet", court)

	// Accounts for the API.
	st := openAny(t, db)
	accs := &auth.Accounts{Store: st}
	keys := map[string]string{}
	for _, a := range []struct {
		name string
		role credit.Role
		dept string
	}{{"x-admin", credit.RoleAdmin, ""}, {"x-samr", credit.RoleDept, "SAMR-350100"}} {
		if _, err := accs.CreateAccount(ctx, a.name, "", a.role, a.dept, "", ""); err != nil {
			t.Fatal(err)
		}
		k, _, err := accs.NewKey(ctx, a.name)
		if err != nil {
			t.Fatal(err)
		}
		keys[a.name] = k
	}
	st.Close()

	// The server, with its log kept.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	serveLog := filepath.Join(dir, "serve.log")
	lf, err := os.Create(serveLog)
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "serve", "--addr", addr, "--metrics-addr", "", "--log-level", "debug")
	srv.Env, srv.Stdout, srv.Stderr = env, lf, lf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill() }()
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if r, err := http.Get(base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(serveLog)
			t.Fatalf("serve did not get ready:\n%s", b)
		}
	}
	call := func(method, path, key, purpose, ctype string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		req.Header.Set("X-API-Key", key)
		if purpose != "" {
			req.Header.Set("X-Purpose", purpose)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	data, err := os.ReadFile(upload)
	if err != nil {
		t.Fatal(err)
	}
	if code, b := call("POST", "/api/v1/batches?item=admin_licence&file_name=licences.csv", keys["x-samr"], "", "text/csv", data); code != 202 {
		t.Fatalf("upload: %d %s", code, b)
	}
	gen := uscc.NewGenerator(4242)
	person := gen.ResidentID("350102", time.Date(1980, 3, 4, 0, 0, 0, 0, time.UTC), true)
	rep := gen.ResidentID("350104", time.Date(1975, 6, 7, 0, 0, 0, 0, time.UTC), false)
	ids[person], ids[rep] = true, true
	// A person registered, a penalty naming the person, one naming an
	// organisation's legal representative's number, a court listing.
	body := func(v any) []byte { b, _ := json.Marshal(v); return b }
	code, b := call("POST", "/api/v1/subjects", keys["x-admin"], "", "application/json", body(map[string]any{"kind": "person", "name": "林某某", "id_number": person}))
	if code != 201 {
		t.Fatalf("register person: %d %s", code, b)
	}
	var reg struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &reg); err != nil || reg.ID == "" {
		t.Fatalf("registered person: %s", b)
	}
	// The person's commitment registered at a counter, then found false:
	// both records name the person by the number, opened only to be
	// sealed again.
	code, b = call("POST", "/api/v1/commitments", keys["x-samr"], "", "application/json", body(map[string]any{"subject_id": reg.ID,
		"matter": "public_service", "kind": "certificate", "signer": "林某某", "document": "承诺书1号", "accepted": true}))
	var cm struct {
		Commitment struct {
			ID string `json:"id"`
		} `json:"commitment"`
	}
	if code != 201 || json.Unmarshal(b, &cm) != nil {
		t.Fatalf("a person's commitment: %d %s", code, b)
	}
	if code, b := call("POST", "/api/v1/commitments/"+cm.Commitment.ID+"/actions", keys["x-samr"], "", "application/json", body(map[string]any{"action": "break",
		"finding": "false", "doc_no": "榕市监认〔2026〕1号", "reason": "所述事实不实"})); code != 200 {
		t.Fatalf("a person's false commitment: %d %s", code, b)
	}
	authority := gen.USCC('1', '1', "350100")
	org := gen.USCC('9', '1', "350100")
	if code, b := call("POST", "/api/v1/subjects", keys["x-admin"], "", "application/json", body(map[string]any{"code": org, "name": "福州某某有限公司"})); code != 201 {
		t.Fatalf("register organisation: %d %s", code, b)
	}
	penalty := func(doc string, f map[string]string) {
		t.Helper()
		fields := map[string]string{"cf_wsh": doc, "cf_wfxw": "无证经营", "cf_sy": "经查", "cf_yj": "《某法》", "cf_cflb": "罚款", "cf_nr": "罚款人民币1万元",
			"cf_nr_fk": "1", "cf_jdrq": "2026-11-01", "cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority}
		for k, v := range f {
			fields[k] = v
		}
		subject := org
		if f["cf_xdr_lb"] == "自然人" {
			subject = ""
		}
		rb := map[string]any{"item": "admin_penalty", "subject_id": subject, "fields": fields}
		code, b := call("POST", "/api/v1/records", keys["x-samr"], "", "application/json", body(rb))
		if code != 201 && code != 400 {
			t.Fatalf("record %s: %d %s", doc, code, b)
		}
	}
	penalty("榕市监罚〔2026〕901号", map[string]string{"cf_xdr_mc": "福州某某有限公司", "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": org,
		"cf_frdb": "郑某", "cf_fr_zjlx": "身份证", "cf_fr_zjhm": rep})
	// A search and a purpose that carry an ID number.
	call("GET", "/api/v1/subjects?q="+person, keys["x-admin"], "核查"+person, "", nil)
	call("GET", "/api/v1/search?q="+person, keys["x-admin"], "", "", nil)
	// Wait for the upload's batch, then stop the server.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, b := call("GET", "/api/v1/batches", keys["x-samr"], "", "", nil)
		if !bytes.Contains(b, []byte(`"running"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the uploaded batch did not finish")
		}
	}
	_ = srv.Process.Signal(syscall.SIGTERM)
	_ = srv.Wait()
	lf.Close()

	// Scan.
	var places []string
	found := func(where string, b []byte) {
		for id := range ids {
			if bytes.Contains(b, []byte(id)) {
				places = append(places, fmt.Sprintf("%s holds %s", where, id[:6]+"…"))
			}
		}
	}
	serveBytes, _ := os.ReadFile(serveLog)
	found("the serve log", serveBytes)
	found("the import output", logs.Bytes())
	for _, f := range []string{penalties, court} {
		rj := strings.TrimSuffix(f, filepath.Ext(f)) + ".rejects.csv"
		b, err := os.ReadFile(rj)
		if err != nil {
			t.Fatalf("rejects file: %v", err)
		}
		if len(b) < 100 {
			t.Fatalf("rejects file %s is nearly empty: the files have no errors to test", rj)
		}
		found(filepath.Base(rj), b)
	}
	if !strings.HasPrefix(db, "postgres") {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if b, err := os.ReadFile(db + suffix); err == nil {
				found("the database file"+suffix, b)
			}
		}
	}
	rows := dumpTables(t, db)
	if rows < 1000 {
		t.Fatalf("only %d rows at rest: the paths wrote little", rows)
	}
	for _, p := range places {
		t.Error(p)
	}
	if len(ids) < 50 {
		t.Fatalf("only %d ID numbers sent", len(ids))
	}
}

// openAny opens the store at db (a path or a PostgreSQL DSN).
func openAny(t *testing.T, db string) credit.Store {
	t.Helper()
	if strings.HasPrefix(db, "postgres") {
		st, err := postgres.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// dumpTables reads every row of every table as text and fails the test
// on any ID number of the generated populations it finds; it returns the
// number of rows read.
func dumpTables(t *testing.T, db string) int {
	t.Helper()
	var (
		r      *sql.DB
		list   string
		tables []string
	)
	if strings.HasPrefix(db, "postgres") {
		st := openAny(t, db).(*postgres.Store)
		defer st.Close()
		r, list = st.DB(), `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	} else {
		st := openAny(t, db).(*sqlite.Store)
		defer st.Close()
		r, list = st.ReadDB(), `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	rs, err := r.Query(list)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rs.Close()
	n := 0
	for _, tb := range tables {
		rs, err := r.Query(`SELECT * FROM ` + tb)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			n++
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				if m := idRun(s); m != "" {
					t.Errorf("table %s column %s holds an ID number %s…", tb, cols[i], m[:6])
				}
			}
		}
		rs.Close()
	}
	return n
}

// idRun finds a resident ID number in s: 17 digits and a digit or X with
// a valid GB 11643 check character and a plausible birth date.
func idRun(s string) string {
	for i := 0; i+18 <= len(s); i++ {
		c := s[i : i+18]
		if (i > 0 && s[i-1] >= '0' && s[i-1] <= '9') || uscc.CheckResidentID(c).Status == uscc.Invalid {
			continue
		}
		return c
	}
	return ""
}
