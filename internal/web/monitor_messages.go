package web

func init() {
	add := func(lang string, kv map[string]string) {
		for k, v := range kv {
			messages[lang][k] = v
		}
	}
	add("zh", map[string]string{
		"mon_title":        "城市信用状况监测",
		"mon_intro":        "按月或按周统计的信用状况监测指标，数据来自本平台的归集、名单、异议、修复和核查反馈记录。指标及其依据以数据文件维护。",
		"mon_intro_own":    "以下为本部门的指标。",
		"mon_period":       "统计周期",
		"mon_period_month": "按月",
		"mon_period_week":  "按周",
		"mon_n":            "周期数",
		"mon_show":         "查看",
		"mon_total":        "全市合计",
		"mon_basis":        "依据",
		"mon_xlsx":         "下载数据（XLSX）",
		"mon_empty":        "所选期间内尚无可统计的数据。",
		"mon_provisional":  "本期尚未结束，数据为截至目前的统计。",
		"mon_latest":       "最近一期",
		"mon_line":         "部门或事项",
		"mon_value":        "数值",
		"mon_num":          "分子",
		"mon_den":          "分母",
		"mon_ranking":      "部门数据质量排名",
		"mon_ranking_note": "按所选期间内各部门报送批次的双公示及时率、合规率、完整率加权计算综合得分（满分100）。",
		"mon_rank":         "名次",
		"mon_dept":         "部门",
		"mon_score":        "综合得分",
		"mon_batches":      "批次",
		"mon_rank_none":    "所选期间内没有部门报送批次。",
		"mon_chart":        "图表",
		"nav_monitor":      "信用状况监测",
	})
	add("en", map[string]string{
		"mon_title":        "City credit monitoring",
		"mon_intro":        "Credit monitoring indicators by month or week, computed from this platform's reported data, lists, objections, repairs and hit-check feedback. The indicators and their basis are kept as a data file.",
		"mon_intro_own":    "These are your department's figures.",
		"mon_period":       "Period",
		"mon_period_month": "By month",
		"mon_period_week":  "By week",
		"mon_n":            "Periods",
		"mon_show":         "Show",
		"mon_total":        "City total",
		"mon_basis":        "Basis",
		"mon_xlsx":         "Download the data (XLSX)",
		"mon_empty":        "Nothing to measure in the periods chosen yet.",
		"mon_provisional":  "The current period is not over: its figures are up to now.",
		"mon_latest":       "Latest period",
		"mon_line":         "Department or matter",
		"mon_value":        "Value",
		"mon_num":          "Numerator",
		"mon_den":          "Denominator",
		"mon_ranking":      "Departments ranked by data quality",
		"mon_ranking_note": "A weighted score (out of 100) of each department's 双公示 timeliness, compliance and completeness over the batches it sent in the periods chosen.",
		"mon_rank":         "Rank",
		"mon_dept":         "Department",
		"mon_score":        "Score",
		"mon_batches":      "Batches",
		"mon_rank_none":    "No department sent a batch in the periods chosen.",
		"mon_chart":        "Chart",
		"nav_monitor":      "Credit monitoring",
	})
}
