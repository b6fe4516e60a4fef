package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workflow"
)

// TestMessagesComplete: a key missing in one language renders as an empty
// string, so both catalogues must have the same keys and no empty values.
func TestMessagesComplete(t *testing.T) {
	zh, en := messages["zh"], messages["en"]
	for k, v := range zh {
		if en[k] == "" {
			t.Errorf("en lacks %q", k)
		}
		if v == "" {
			t.Errorf("zh %q is empty", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh lacks %q", k)
		}
	}
	// Every reason the engine gives for the public view has a message.
	for _, r := range []publish.Reason{publish.InWindow, publish.OpenEnded, publish.NotYet, publish.WindowEnded,
		publish.NotPublished, publish.PersonNotPublic, publish.Revoked, publish.Repaired, publish.Bankruptcy, publish.UnknownItem} {
		if zh["reason_"+string(r)] == "" {
			t.Errorf("no message for publication reason %s", r)
		}
	}
	// Every code the pages name has its name in both languages.
	var keys []string
	for _, st := range []string{workflow.StateSubmitted, workflow.StateRouted, workflow.StateRefused, workflow.StateVerifying,
		workflow.StateUpheld, workflow.StateDismissed, workflow.StateAwaiting, workflow.StateReviewing, workflow.StateRepaired,
		workflow.StateRevoked, workflow.StateMasking, workflow.StateMasked, workflow.StateRestored, workflow.StateCompleted,
		workflow.StateWithdrawn, string(credit.StepProposed), string(credit.StepNoticed), string(credit.StepDecided),
		string(credit.StepRemoved)} {
		keys = append(keys, "state_"+st)
	}
	for _, k := range []credit.CaseKind{credit.CaseObjection, credit.CaseRepair, credit.CaseBankruptcy} {
		keys = append(keys, "kind_"+string(k))
	}
	for _, r := range []string{sanction.RemoveExpiry, sanction.RemoveRepair, sanction.RemoveRevocation, sanction.RemoveCorrection,
		sanction.RemoveWithdrawn, sanction.RemoveFulfilled} {
		keys = append(keys, "removal_"+r)
	}
	for _, b := range []credit.BatchStatus{credit.BatchRunning, credit.BatchDone, credit.BatchFailed} {
		keys = append(keys, "batch_"+string(b))
	}
	for _, k := range keys {
		if zh[k] == "" || en[k] == "" {
			t.Errorf("no name for %s", k)
		}
	}
	if zh["no_info"] != "查询期内无相关信息" {
		t.Errorf("no_info = %q", zh["no_info"])
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/console", "/console": "/console", "/search?q=x": "/search?q=x",
		"//evil.example": "/console", "/\\evil.example": "/console", "https://evil.example": "/console",
		// Browsers drop tabs and line breaks: "/\t/evil.example" is "//evil.example".
		"/\t/evil.example": "/console", "/\n/evil.example": "/console", "\t//evil.example": "/console",
		"/\r\n/evil.example": "/console", "/ /evil.example": "/console", "/\u2028/evil.example": "/console",
		"/\u00a0/evil.example": "/console", "/\u202e/x": "/console", "/\x00/x": "/console", "/\xff/x": "/console",
		// A proxy or server that decodes once more must not find a host either.
		"/%2F%2Fevil.example": "/console", "/%5Cevil.example": "/console", "/%09/evil.example": "/console",
		"/%zz": "/console", "http:evil.example": "/console", "javascript:alert(1)": "/console",
		"/subjects/91350100M000100Y43": "/subjects/91350100M000100Y43", "/console/cases?kind=objection": "/console/cases?kind=objection",
		"/search?q=%E5%8D%8E%E4%B8%BA": "/search?q=%E5%8D%8E%E4%B8%BA",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.HasPrefix(safeNext("/x"), "/") {
		t.Error("not local")
	}
}

// TestEveryOfferedStepHasAButton: each step the case page offers
// (workflow.Offered) has its button's words.
func TestEveryOfferedStepHasAButton(t *testing.T) {
	for kind := range workflow.KindNames {
		for state := range workflow.StateNames {
			for _, role := range credit.Roles {
				for _, name := range workflow.Offered(&credit.Case{Kind: kind, State: state}, role) {
					if messages["zh"]["do_"+name] == "" {
						t.Errorf("%s %s: no words for the button %q", kind, state, name)
					}
				}
			}
		}
	}
}

// TestNoInlineStyleOrScript: the page's Content-Security-Policy allows no
// inline style or script, so a template that carries one renders wrong in
// the browser (the quality chart was drawn black: its <style> inside the
// SVG was blocked). Styles live in static/style.css.
func TestNoInlineStyleOrScript(t *testing.T) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v %v", names, err)
	}
	bad := regexp.MustCompile(`(?i)<style|<script|\sstyle\s*=|\son[a-z]+\s*=`)
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			t.Fatal(err)
		}
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q is blocked by the page's CSP", n, m)
		}
	}
}

// TestEvalReason: every reason the evaluation keeps reads in the page's
// language; an unknown one is shown as kept.
func TestEvalReason(t *testing.T) {
	for _, tc := range []struct{ in, zh, en string }{
		{"initial evaluation", "首次评价", "first evaluation"},
		{"time: a window, decay step or list period ended", "期限届满（公示期、分值衰减或名单期限）", "a period ended (publication window, decay step or list period)"},
		{"model version 2026.2 activated by admin", "评价模型2026.2启用（admin）", "model version 2026.2 activated by admin"},
		{"record 01a2436c-4660-72c3-ad40-90a1e8278830", "信用信息报送、更正或撤销", "a record reported, corrected or revoked"},
		{"list_event 01a2436c-4660-72c3-ad40-90a1e8278830", "名单列入、移出或变更", "a list entry added, removed or changed"},
		{"something new", "something new", "something new"},
	} {
		if got := evalReason(tc.in, false); got != tc.zh {
			t.Errorf("%q in Chinese: %q, want %q", tc.in, got, tc.zh)
		}
		if got := evalReason(tc.in, true); got != tc.en {
			t.Errorf("%q in English: %q, want %q", tc.in, got, tc.en)
		}
	}
}

// TestTemplateMessagesDefined: a template naming a key no part defines
// renders an empty heading or label, which no other test sees; every key a
// template names is in both languages.
func TestTemplateMessagesDefined(t *testing.T) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v %v", names, err)
	}
	ref := regexp.MustCompile(`(?:\.T|\$T)\.([A-Za-z0-9_]+)`)
	seen := 0
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			seen++
			for _, lang := range []string{"zh", "en"} {
				if messages[lang][m[1]] == "" {
					t.Errorf("%s names message %q, which %s lacks", n, m[1], lang)
				}
			}
		}
	}
	if seen < 100 {
		t.Errorf("found only %d message references in the templates: the pattern no longer matches how they name them", seen)
	}
}
