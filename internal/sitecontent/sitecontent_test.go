package sitecontent

import (
	"strings"
	"testing"
)

// TestRenderSafe: Markdown renders, and nothing in a post can put script,
// raw HTML or an inline style into the page.
func TestRenderSafe(t *testing.T) {
	s := New(nil, nil)
	got := string(s.Render("# 通知\n\n**重要**：请于[此处](https://example.gov.cn/a)下载。\n\n| 列 | 值 |\n|---|---|\n| a | b |\n"))
	for _, want := range []string{"<h1>通知</h1>", "<strong>重要</strong>", `<a href="https://example.gov.cn/a">此处</a>`, "<table>"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered %q lacks %q", got, want)
		}
	}
	for _, evil := range []string{
		"<script>alert(1)</script>",
		`<img src=x onerror="alert(1)">`,
		`<p style="color:red">x</p>`,
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))",
		"<iframe src=\"https://evil.example\"></iframe>",
		"<style>body{display:none}</style>",
	} {
		out := strings.ToLower(string(s.Render("前文\n\n" + evil + "\n\n后文")))
		for _, bad := range []string{"<script", "onerror", "style=", "javascript:", "<iframe", "<style"} {
			if strings.Contains(out, bad) {
				t.Errorf("%q renders %q, which holds %q", evil, out, bad)
			}
		}
	}
}
