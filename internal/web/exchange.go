package web

import (
	"net/http"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
)

// The exchange console (/console/exchange): per peer the position applied,
// the lag in facts and seconds, the last error and the held facts
// (国发〔2016〕33号 (十八): platforms of every level connected).

func init() {
	pageNames = append(pageNames, "exchange")
	add := func(lang string, kv map[string]string) {
		for k, v := range kv {
			messages[lang][k] = v
		}
	}
	add("zh", map[string]string{
		"xc_title":        "信用信息共享交换",
		"xc_intro":        "本节点与上下级平台和部门交换信用信息的情况：每个对端已应用到的位置、滞后、最近的错误和暂存的信息。",
		"xc_none":         "本节点尚未设置交换身份（xinyong exchange init）。",
		"xc_node":         "本节点",
		"xc_key":          "公钥",
		"xc_head":         "变更位置",
		"xc_peer":         "对端",
		"xc_relation":     "关系",
		"xc_transport":    "传输方式",
		"xc_applied":      "已应用位置",
		"xc_facts":        "已收信息",
		"xc_lag_facts":    "滞后（条）",
		"xc_lag_sec":      "滞后（秒）",
		"xc_held":         "暂存",
		"xc_sent":         "已发送位置",
		"xc_last_error":   "最近错误",
		"xc_no_peers":     "尚未配置对端（xinyong exchange peer add）。",
		"xc_held_title":   "暂存的信息（目录中尚无其信息项或部门，补充目录后自动应用）",
		"xc_fact":         "信息",
		"xc_reason":       "原因",
		"rel_superior":    "上级平台",
		"rel_subordinate": "下级平台",
		"rel_department":  "部门",
		"lvl_county":      "县级",
		"lvl_city":        "市级",
		"lvl_province":    "省级",
		"lvl_national":    "国家级",
		"tr_nats":         "NATS JetStream",
		"tr_http":         "HTTP拉取",
		"tr_file":         "文件摆渡",
	})
	add("en", map[string]string{
		"xc_title":        "Exchange",
		"xc_intro":        "How this node exchanges credit information with the platforms above and below and with departments: for each peer the position applied, the lag, the last error and the facts held.",
		"xc_none":         "This node has no exchange identity yet (xinyong exchange init).",
		"xc_node":         "This node",
		"xc_key":          "Public key",
		"xc_head":         "Feed position",
		"xc_peer":         "Peer",
		"xc_relation":     "Relation",
		"xc_transport":    "Transport",
		"xc_applied":      "Applied up to",
		"xc_facts":        "Facts received",
		"xc_lag_facts":    "Lag (facts)",
		"xc_lag_sec":      "Lag (s)",
		"xc_held":         "Held",
		"xc_sent":         "Sent up to",
		"xc_last_error":   "Last error",
		"xc_no_peers":     "No peers configured yet (xinyong exchange peer add).",
		"xc_held_title":   "Facts held (their item or department is not in the catalogue yet; applied once it is)",
		"xc_fact":         "Fact",
		"xc_reason":       "Reason",
		"rel_superior":    "Platform above",
		"rel_subordinate": "Platform below",
		"rel_department":  "Department",
		"lvl_county":      "county",
		"lvl_city":        "city",
		"lvl_province":    "province",
		"lvl_national":    "national",
		"tr_nats":         "NATS JetStream",
		"tr_http":         "HTTP pull",
		"tr_file":         "file ferry",
	})
}

type exchangePage struct {
	Status *exchange.Status
	KeyID  string
}

func (p *Portal) exchange(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole%2Fexchange", http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	if !slices.Contains([]credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor}, pr.Role) {
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
		})
		return
	}
	page := &exchangePage{}
	if p.cfg.Exchange != nil {
		st, err := p.cfg.Exchange.Status(r.Context())
		if err != nil {
			p.fail(w, r, v, err)
			return
		}
		page.Status = st
		if st.Node != nil {
			page.KeyID = exchange.KeyID(st.Node.PublicKey)
		}
	}
	p.render(w, r, http.StatusOK, "exchange", v, func(v *view) {
		v.Title, v.Exchange = v.T["xc_title"], page
	})
}
