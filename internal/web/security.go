package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/pii"
)

// Forms and where they come from: every unsafe portal request carries the
// form token of the browser that sent it (auth.CSRFToken) and, when it
// says where it comes from, comes from this site. Refusals are audited.
// The post-login redirect goes only to a path of this site.

func init() {
	add := func(lang string, kv map[string]string) {
		for k, v := range kv {
			messages[lang][k] = v
		}
	}
	add("zh", map[string]string{
		"csrf_title":          "表单已失效",
		"csrf_body":           "表单已失效，或无法确认它来自本平台的页面，请求未执行。请返回上一页，刷新后重新提交。This form has expired or its origin could not be verified; nothing was done. Go back, reload the page and submit again.",
		"form_too_large":      "提交的内容超过上限 %s，请求未执行。请减少或拆分附件后重试。",
		"form_bad":            "表单未能完整接收（网络中断或内容格式不正确），请求未执行。请返回上一页重新提交。",
		"forbidden_role":      "当前账号无权访问此页面。",
		"lockouts_title":      "登录锁定",
		"lockouts_intro":      "以下账号因连续登录失败已锁定，在所示时间前拒绝以密码登录（API 密钥不受影响）。确认不是账号本人的尝试后可立即解锁；尝试来源地址的限制不变。",
		"lockouts_none":       "目前没有因登录失败而锁定的账号。",
		"lockouts_account":    "账号",
		"lockouts_until":      "锁定至",
		"lockouts_unlock":     "解锁",
		"lockouts_locked":     "已锁定",
		"lockouts_admin_only": "只有系统管理员可以解锁账号。",
	})
	add("en", map[string]string{
		"csrf_title":          "This form has expired",
		"csrf_body":           "This form has expired or its origin could not be verified; nothing was done. Go back, reload the page and submit again. 表单已失效，或无法确认它来自本平台的页面，请求未执行。",
		"form_too_large":      "What was sent is larger than the limit of %s; nothing was done. Attach fewer or smaller files and try again.",
		"form_bad":            "The form did not arrive whole (the connection broke, or it was malformed); nothing was done. Go back and submit it again.",
		"forbidden_role":      "This account may not open this page.",
		"lockouts_title":      "Login lockouts",
		"lockouts_intro":      "These accounts are locked after failed logins: password logins are refused until the time shown (API keys keep working). Once you know the attempts were not the account holder's, unlock it now; the limit on the address the attempts came from stays.",
		"lockouts_none":       "No account is locked after failed logins.",
		"lockouts_account":    "Account",
		"lockouts_until":      "Locked until",
		"lockouts_unlock":     "Unlock",
		"lockouts_locked":     "locked",
		"lockouts_admin_only": "Only an administrator can unlock accounts.",
	})
}

// maxForm bounds a url-encoded form.
const maxForm = 256 << 10

// maxUpload bounds a multipart form with files.
func (p *Portal) maxUpload() int64 {
	if p.cfg.MaxUpload > 0 {
		return p.cfg.MaxUpload
	}
	return api.DefaultMaxUpload
}

// formMemory is how much of a multipart form is held in memory; the rest
// of its files wait in temporary files until the request ends.
func (p *Portal) formMemory() int64 {
	if p.cfg.Workflow != nil {
		return p.wf().Rules().MaxFileBytes + 1<<20
	}
	return 1 << 20
}

// checkForm reads the form of an unsafe request and checks where it comes
// from and its token. It answers the refusal itself and returns false when
// the request must go no further.
func (p *Portal) checkForm(w http.ResponseWriter, r *http.Request) bool {
	if same, present := auth.SameOrigin(r); present && !same {
		p.refuseForm(w, r)
		return false
	}
	if !auth.FormBound(r) {
		// No token can match: refuse before reading a large body.
		p.refuseForm(w, r)
		return false
	}
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, p.maxUpload())
		err = r.ParseMultipartForm(p.formMemory())
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		err = r.ParseForm()
	}
	if err != nil {
		p.badForm(w, r, err)
		return false
	}
	if !auth.CheckCSRF(r, r.PostForm.Get(auth.CSRFField)) {
		p.refuseForm(w, r)
		return false
	}
	return true
}

// refuseForm answers a forged, stale or foreign form: 403, audited.
func (p *Portal) refuseForm(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	p.audit.Denied(r.Context(), pr, "form.submit", r.URL.Path, "", remote(r))
	v := p.newView(w, r, pr)
	v.Toggle = "/?lang=" + v.OtherLang // the refused URL takes posts only
	p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
		v.Title, v.Error = v.T["csrf_title"], v.T["csrf_body"]
	})
}

// badForm answers a form that could not be read: too large (413), or cut
// off or malformed (400); the read error itself, which names sockets, is
// only logged.
func (p *Portal) badForm(w http.ResponseWriter, r *http.Request, err error) {
	p.log.Info("portal: form not read", "id", httpx.IDFrom(r.Context()), "path", pii.RedactIDs(r.URL.Path), "err", err)
	v := p.newView(w, r, p.principal(r))
	v.Toggle = "/?lang=" + v.OtherLang
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		p.render(w, r, http.StatusRequestEntityTooLarge, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], strings.Replace(v.T["form_too_large"], "%s", api.FormatSize(tooBig.Limit), 1)
		})
		return
	}
	p.render(w, r, http.StatusBadRequest, "error", v, func(v *view) {
		v.Title, v.Error = v.T["forbidden_title"], v.T["form_bad"]
	})
}

// safeNext keeps the post-login redirect on this site. next must be an
// absolute path, and stay one however a browser reads it: browsers drop
// tabs and line breaks from URLs ("/\t/evil.example" is
// "//evil.example", another host) and read "\" as "/", and a proxy may
// decode once more. Anything else goes to the console.
func safeNext(next string) string {
	const home = "/console"
	if !sitePath(next) {
		return home
	}
	if dec, err := url.PathUnescape(next); err != nil || !sitePath(dec) {
		return home
	}
	return next
}

// sitePath reports whether s is an absolute path of this site with no
// character a browser could drop, fold or read as a host separator.
func sitePath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == '\\' || c == ' ' || !unicode.IsPrint(c) {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

// lockoutRow is a locked-out account on the administrator's console.
type lockoutRow struct {
	Name, Until string
}

// lockouts lists the locked-out accounts for the console.
func (p *Portal) lockouts(r *http.Request) ([]lockoutRow, error) {
	ls, err := p.cfg.LoginGuard.LockedOut(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]lockoutRow, 0, len(ls))
	for _, l := range ls {
		out = append(out, lockoutRow{Name: l.Name, Until: l.Until.In(chinatime.Location).Format("2006-01-02 15:04")})
	}
	return out, nil
}

// unlock lifts an account's lockout after failed logins (administrators).
func (p *Portal) unlock(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole", http.StatusSeeOther)
		return
	}
	name := r.PathValue("name")
	target := "account:" + name
	if len(target) > 72 {
		target = target[:72]
	}
	if pr.Role != credit.RoleAdmin {
		p.audit.Denied(r.Context(), pr, "account.unlock", target, "", remote(r))
		v := p.newView(w, r, pr)
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) { v.Title, v.Error = v.T["forbidden_title"], v.T["lockouts_admin_only"] })
		return
	}
	v := p.newView(w, r, pr)
	if _, err := p.cfg.Store.Account(r.Context(), name); err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.cfg.LoginGuard.Unlock(r.Context(), name); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.audited(r, pr, "account.unlock", target)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
