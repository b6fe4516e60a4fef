package config

import "flag"

// Site is who runs the portal, shown in every page's footer: the
// operating unit (主办单位) and its registration numbers, the ICP备案号
// (《互联网信息服务管理办法》 第四条) and the 公安机关备案号
// (《计算机信息网络国际联网安全保护管理办法》 第十二条).
type Site struct {
	Operator   string
	OperatorEn string
	ICP        string
	Police     string
}

// Register declares the site's flags, with XINYONG_SITE_* environment
// defaults.
func (s *Site) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.Operator, "site-operator", env("XINYONG_SITE_OPERATOR", ""), "the operating unit (主办单位) named in the portal's footer, e.g. 某某市发展和改革委员会 (env XINYONG_SITE_OPERATOR)")
	fs.StringVar(&s.OperatorEn, "site-operator-en", env("XINYONG_SITE_OPERATOR_EN", ""), "the operating unit's English name for the English pages; empty: the Chinese name (env XINYONG_SITE_OPERATOR_EN)")
	fs.StringVar(&s.ICP, "site-icp", env("XINYONG_SITE_ICP", ""), "the site's ICP备案号, e.g. 闽ICP备12345678号, linked to beian.miit.gov.cn in the footer (env XINYONG_SITE_ICP)")
	fs.StringVar(&s.Police, "site-police", env("XINYONG_SITE_POLICE", ""), "the site's 公安机关备案号, e.g. 闽公网安备35010002000001号, linked to beian.mps.gov.cn in the footer (env XINYONG_SITE_POLICE)")
}
