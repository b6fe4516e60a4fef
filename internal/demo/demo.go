// Package demo fills an empty store with a small, realistic data set and
// demo accounts, so `xinyong serve --demo` shows a working platform at once.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/records"
)

// Password is the demo accounts' password. It is printed at start-up and is
// only ever set by --demo.
const Password = "xinyong-demo-2026"

// Options sizes the demo data.
type Options struct {
	Subjects int    // size of the generated subject population; default 300
	Seed     uint64 // default 1
	// KeyFile keeps the demo business system's API key between starts
	// (mode 0600; only its hash is in the database): a key in it that
	// still signs in is reused, else a new one is issued and written
	// there. Empty: a new key on every start, kept nowhere.
	KeyFile string
}

// Login is one demo sign-in printed for the user.
type Login struct {
	Name, Password string
	Role           credit.Role
	Note           string
}

// demoDept is the department the demo operator and most records belong
// to; courtDept reports the 失信被执行人 records, which only a court may;
// housingDept issues building permits; taxDept grades taxpayers.
const (
	demoDept    = "SAMR-350100"
	courtDept   = "COURT-350100"
	housingDept = "HOUSING-350100"
	taxDept     = "TAX-350100"
)

// fuzhouRegions are where the demo's population is registered: the city
// and its districts and counties.
var fuzhouRegions = []string{"350100", "350102", "350103", "350104", "350105", "350111", "350112", "350121", "350181"}

// Seed loads the demo data into an empty store (subjects and records are
// skipped when the store already holds subjects), makes sure the demo
// accounts exist and seeds the lists (seedLists) and, with the data, a few
// commitments (seedCommitments) and a drawn random inspection task
// (seedInspections). It returns the sign-ins
// to print.
func Seed(ctx context.Context, node *app.App, o Options) ([]Login, error) {
	st := node.Store
	if o.Subjects <= 0 {
		o.Subjects = 300
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	n, err := st.CountSubjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var firstOrg string
	if n == 0 {
		if firstOrg, err = seedData(ctx, node, o); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	} else if a, err := st.Account(ctx, "subject"); err == nil {
		// The subject account made on the first start names its subject.
		firstOrg = a.Subject
	} else if !credit.Is(credit.NotFound, err) {
		return nil, fmt.Errorf("demo: %w", err)
	}
	logins, err := seedAccounts(ctx, node, firstOrg, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	// Lists decided elsewhere (the court file) are entries, and the demo's
	// subjects are found by name, before the lists are seeded and the node
	// answers.
	if err := node.Sync(ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := seedLists(ctx, node); err != nil {
		return nil, fmt.Errorf("demo lists: %w", err)
	}
	if n == 0 {
		if err := seedCommitments(ctx, node, firstOrg); err != nil {
			return nil, fmt.Errorf("demo commitments: %w", err)
		}
		if err := seedInspections(ctx, node, firstOrg); err != nil {
			return nil, fmt.Errorf("demo inspections: %w", err)
		}
	}
	return logins, nil
}

func seedAccounts(ctx context.Context, node *app.App, subject, keyFile string) ([]Login, error) {
	svc, st := node.Records, node.Store
	acc := &auth.Accounts{Store: st, Now: svc.Now}
	specs := []struct {
		name, display string
		role          credit.Role
		dept, subject string
		note          string
	}{
		{"admin", "平台管理员", credit.RoleAdmin, "", "", "administrator"},
		{"reviewer", "信用办审核员", credit.RoleReviewer, "", "", "credit-office reviewer"},
		{"samr", "福州市市场监督管理局", credit.RoleDept, demoDept, "", "department operator"},
		{"auditor", "审计员", credit.RoleAuditor, "", "", "auditor"},
		{"bank", "示范银行", credit.RoleInstitution, "", "", "access institution"},
		{"subject", "示范企业", credit.RoleSubject, "", subject, "the subject " + subject},
		{"procurement", "政府采购系统", credit.RoleBusiness, "FIN-350100", "", "business system (console sign-in; its programs use the API key below)"},
	}
	var out []Login
	for _, s := range specs {
		if s.role == credit.RoleSubject && s.subject == "" {
			continue
		}
		if _, err := st.Account(ctx, s.name); err == nil {
			out = append(out, Login{s.name, Password, s.role, s.note})
			continue
		} else if !credit.Is(credit.NotFound, err) {
			return nil, err
		}
		if _, err := acc.CreateAccount(ctx, s.name, s.display, s.role, s.dept, s.subject, Password); err != nil {
			return nil, err
		}
		out = append(out, Login{s.name, Password, s.role, s.note})
	}
	if pa, err := st.Account(ctx, "procurement"); err == nil {
		// The matters the procurement system may ask the hit check about.
		if err := st.SetAccountMatters(ctx, pa.ID, []string{"gov_procurement", "bidding", "public_resource_trading", "gov_subsidy"}); err != nil {
			return nil, err
		}
	}
	secret, err := businessKey(ctx, acc, keyFile)
	if err != nil {
		return nil, err
	}
	out = append(out, Login{"procurement (API)", secret, credit.RoleBusiness, "API key: send it as Authorization: Bearer <key>"})
	return out, nil
}

// businessKey returns the demo business system's API key: the one kept
// in keyFile while it still signs in, else a new one, written there.
func businessKey(ctx context.Context, acc *auth.Accounts, keyFile string) (string, error) {
	if keyFile != "" {
		if b, err := os.ReadFile(keyFile); err == nil {
			k := strings.TrimSpace(string(b))
			if p, err := (&auth.Authenticator{Store: acc.Store}).APIKey(ctx, k); err == nil && p.Account != nil && p.Account.Name == "procurement" {
				return k, nil
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	secret, _, err := acc.NewKey(ctx, "procurement")
	if err != nil || keyFile == "" {
		return secret, err
	}
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return "", err
	}
	return secret, os.WriteFile(keyFile, []byte(secret+"\n"), 0o600)
}

// PrintLogins writes the demo sign-ins as a table.
func PrintLogins(w io.Writer, logins []Login) {
	fmt.Fprintln(w, "Demo sign-ins:")
	fmt.Fprintf(w, "  %-18s %-12s %-28s %s\n", "LOGIN", "ROLE", "PASSWORD OR KEY", "WHO")
	for _, l := range logins {
		fmt.Fprintf(w, "  %-18s %-12s %-28s %s\n", l.Name, l.Role, l.Password, l.Note)
	}
}

// seedData generates department files with internal/gen and imports them
// through the ingest pipeline, as departments would: a few thousand
// licences, penalties, honours and commitments over o.Subjects subjects,
// with a few rows of realistic errors left rejected in the batches. It
// returns the ID of the subject named 宁德恒信新能源科技有限公司.
//
// The data is meant to be plausible: the population is registered in
// Fuzhou (a company named after a city is registered there), each file
// comes from the department that really decides what it holds (building
// permits from housing, food and drug licences from market regulation,
// A-grade taxpayers from tax, defaulters from the court), and honours go
// to companies that get no penalty or court listing in the demo, so that
// the red lists hold clean files.
func seedData(ctx context.Context, node *app.App, o Options) (string, error) {
	svc, st := node.Records, node.Store
	now := svc.Now().In(chinatime.Location)
	pop := gen.RecordOptions{Seed: o.Seed, Subjects: o.Subjects, Now: now, Regions: fuzhouRegions}
	// A few fixed names make the search demo predictable: two-character
	// queries such as 宁德 or 华为 find them.
	fixed := []string{"宁德恒信新能源科技有限公司", "福州华为达电子科技有限公司", "厦门宁德海运物流有限公司"}
	probe := pop
	probe.Item = "admin_penalty"
	pg, err := gen.NewRecords(probe)
	if err != nil {
		return "", err
	}
	names := map[int]string{}
	first := -1
	for i := 0; i < o.Subjects && len(names) < len(fixed); i++ {
		if s := pg.SubjectAt(i); s.Kind == credit.Organisation {
			if first < 0 {
				first = i
			}
			names[i] = fixed[len(names)]
		}
	}
	pop.Names = names
	probe.Names = names
	if pg, err = gen.NewRecords(probe); err != nil {
		return "", err
	}
	firstCode := pg.SubjectAt(first).Code
	im := &ingest.Importer{Store: st, Records: svc}
	// Penalties and court listings concern the first four fifths of the
	// population, honours the last sixth: no honoured company is
	// dishonest. The court reports 失信被执行人 so that the public black
	// list has entries, more than one page of them.
	dishonest, honest := o.Subjects*4/5, o.Subjects*5/6
	files := []struct {
		item, dept string
		rows       int
		rate       float64
		from, to   int
	}{
		{"admin_licence", demoDept, o.Subjects * 3 / 2, 0, 0, 0},
		{"admin_licence", housingDept, o.Subjects / 2, 0, 0, 0},
		{"admin_penalty", demoDept, o.Subjects * 2, 0.02, 0, dishonest},
		{"honour", taxDept, o.Subjects / 10, 0, honest, 0},
		{"honour", demoDept, o.Subjects / 10, 0, honest, 0},
		{"credit_commitment", demoDept, o.Subjects / 3, 0, 0, 0},
		{"court_defaulter", courtDept, o.Subjects / 3, 0, 0, dishonest},
	}
	for _, f := range files {
		dept, err := node.Catalog.Department(f.dept)
		if err != nil {
			return "", err
		}
		ro := pop
		ro.Item, ro.ErrorRate, ro.Dept, ro.From, ro.To = f.item, f.rate, dept, f.from, f.to
		g, err := gen.NewRecords(ro)
		if err != nil {
			return "", err
		}
		it, err := node.Catalog.Item(f.item)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := gen.WriteFile(&buf, it, g, gen.FileOptions{Format: "csv", Encoding: "gbk", Style: "labels", Rows: f.rows}); err != nil {
			return "", err
		}
		data := buf.Bytes()
		if _, err := im.Import(ctx, ingest.Request{Dept: f.dept, Item: f.item, FileName: "demo-" + f.dept + "-" + f.item + ".csv",
			Actor: "demo", Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}); err != nil {
			return "", err
		}
	}
	// Every fixed name is searchable even if no generated row drew it.
	for i, name := range names {
		s := pg.SubjectAt(i)
		if _, err := st.Subject(ctx, s.Code); credit.Is(credit.NotFound, err) {
			if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: s.Code, Name: name, LegalRep: s.LegalRep, Status: "存续"}); err != nil {
				return "", err
			}
		}
	}
	return firstCode, nil
}
