package catalog

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

func day(s string) time.Time {
	t, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// penalty returns a complete, valid penalty record of an organisation,
// with changes applied ("" deletes a field).
func penalty(changes map[string]string) credit.Fields {
	f := credit.Fields{
		"cf_xdr_mc":    "福州某某贸易有限公司",
		"cf_xdr_lb":    "法人及非法人组织",
		"cf_xdr_shxym": "91350100M000100Y43",
		"cf_frdb":      "张三",
		"cf_wsh":       "榕市监罚〔2024〕12号",
		"cf_wfxw":      "销售不符合食品安全标准的食品",
		"cf_sy":        "当事人销售的食品经抽检不合格",
		"cf_yj":        "《中华人民共和国食品安全法》第一百二十四条",
		"cf_cflb":      "罚款",
		"cf_nr":        "罚款人民币5万元",
		"cf_nr_fk":     "5",
		"cf_jdrq":      "2024-03-15",
		"cf_cfjg":      "福州市市场监督管理局",
		"cf_cfjgdm":    "11350100MB1234567X",
		"cf_sjly":      "福州市市场监督管理局",
		"cf_sjlydm":    "11350100MB1234567X",
	}
	for k, v := range changes {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

func TestValidate(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, chinatime.Location)
	p := mustItem(t, "admin_penalty")
	tests := []struct {
		name    string
		item    string
		changes map[string]string
		want    []string
	}{
		{"good", "admin_penalty", nil, nil},
		{"enum alias and padded date forms", "admin_penalty", map[string]string{"cf_xdr_lb": "法人", "cf_jdrq": "2024年3月15日", "cf_nr_fk": "0.5"}, nil},
		{"decided today", "admin_penalty", map[string]string{"cf_jdrq": "20240601"}, nil},
		{"missing required", "admin_penalty", map[string]string{"cf_wsh": "", "cf_cfjgdm": ""}, []string{
			"field cf_wsh: required (行政处罚决定书文号)",
			"field cf_cfjgdm: required (处罚机关统一社会信用代码)",
		}},
		{"organisation without code", "admin_penalty", map[string]string{"cf_xdr_shxym": "", "cf_frdb": ""}, []string{
			"field cf_xdr_shxym: required for org subjects (统一社会信用代码)",
			"field cf_frdb: required for org subjects (法定代表人)",
		}},
		{"person without ID", "admin_penalty", map[string]string{"cf_xdr_lb": "自然人", "cf_xdr_shxym": "", "cf_frdb": ""}, []string{
			"field cf_xdr_zjlx: required for person subjects (证件类型)",
			"field cf_xdr_zjhm: required for person subjects (证件号码)",
		}},
		{"person with ID", "admin_penalty", map[string]string{"cf_xdr_lb": "自然人", "cf_xdr_shxym": "", "cf_frdb": "",
			"cf_xdr_zjlx": "居民身份证", "cf_xdr_zjhm": "11010119900307803X"}, nil},
		{"bad values", "admin_penalty", map[string]string{
			"cf_xdr_lb":    "公司",
			"cf_xdr_shxym": "91350100m000100y43",
			"cf_wsh":       strings.Repeat("号", 129),
			"cf_nr_fk":     "-1",
			"cf_nr_wfff":   "1e3",
			"cf_jdrq":      "2024-02-30",
			"cf_foo":       "x",
		}, []string{
			`field cf_xdr_lb: "公司" is not one of 法人及非法人组织, 自然人, 个体工商户`,
			`field cf_xdr_shxym: not a unified social credit code: "91350100m000100y43" (18 characters 0-9, A-Z)`,
			`field cf_wsh: 129 characters, at most 128 allowed`,
			`field cf_nr_fk: not an amount: "-1" (a decimal number ≥ 0, e.g. 1.5)`,
			`field cf_nr_wfff: not an amount: "1e3" (a decimal number ≥ 0, e.g. 1.5)`,
			`field cf_jdrq: not a date: "2024-02-30"; a full date has year, month and day, e.g. 2026-03-02, 2026/3/2, 20260302 or 2026年3月2日 (不是有效日期：完整日期须有年、月、日，如 2026-03-02)`,
			`field cf_foo: not a field of catalogue item admin_penalty`,
		}},
		{"future decision and dates out of order", "admin_penalty", map[string]string{"cf_jdrq": "2024-06-02", "cf_yxq": "2024-06-01"}, []string{
			"field cf_jdrq: decision date 2024-06-02 is in the future",
			"field cf_yxq: 2024-06-01 is before cf_jdrq (2024-06-02)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range p.Validate(penalty(tt.changes), now) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}

	c := mustItem(t, "credit_commitment")
	commitment := credit.Fields{
		"cn_bm": "35010020240315000001", "cn_crr_mc": "福州某某贸易有限公司", "cn_crr_lb": "法人及非法人组织",
		"cn_crr_dm": "91350100M000100Y43", "cn_lx": "容缺受理型", "cn_sy": "食品经营许可容缺受理",
		"cn_nr": "承诺在30日内补齐材料", "cn_wnzr": "自愿承担违诺责任", "cn_zcrq": "2024-03-15",
		"cn_sldw": "福州市行政服务中心", "cn_gklx": "可向社会公开",
	}
	if errs := c.Validate(commitment, now); len(errs) != 0 {
		t.Errorf("commitment: %v", errs)
	}
	commitment["cn_bm"] = "3501002024031500001"
	if errs := c.Validate(commitment, now); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `field cn_bm: "3501002024031500001" does not match`) {
		t.Errorf("commitment code: %v", errs)
	}
	l := mustItem(t, "admin_licence")
	licence := credit.Fields{
		"xk_xdr_mc": "福州某某贸易有限公司", "xk_xdr_lb": "法人及非法人组织", "xk_xdr_shxym": "91350100M000100Y43", "xk_frdb": "张三",
		"xk_xkws": "食品经营许可决定书", "xk_wsh": "榕市监许〔2024〕1号", "xk_xklb": "普通", "xk_nr": "食品销售",
		"xk_jdrq": "2024/3/15", "xk_yxqz": "2024/3/15", "xk_yxqzi": "2099/12/31", "xk_xkjg": "福州市市场监督管理局",
		"xk_xkjgdm": "11350100MB1234567X", "xk_zt": "1", "xk_lydw": "福州市市场监督管理局", "xk_lydwdm": "11350100MB1234567X",
	}
	if errs := l.Validate(licence, now); len(errs) != 0 {
		t.Errorf("licence: %v", errs)
	}
}

func TestSeverityAndWindow(t *testing.T) {
	p := mustItem(t, "admin_penalty")
	decided := day("2024-03-15")
	tests := []struct {
		name      string
		domain    string
		changes   map[string]string
		sev       credit.Severity
		published bool
		minEnd    string // "" = start
		maxEnd    string // "" = no end or unpublished
	}{
		{"warning", "", map[string]string{"cf_cflb": "警告", "cf_nr": "警告", "cf_nr_fk": ""}, "轻微", false, "", ""},
		{"small fine", "", map[string]string{"cf_nr_fk": "0.5", "cf_nr": "罚款5000元"}, "轻微", false, "", ""},
		{"fine", "", nil, "一般", true, "2024-06-15", "2025-03-15"},
		{"fine found in the content only", "", map[string]string{"cf_nr_fk": "", "cf_nr": "处以罚款人民币2,000元"}, "轻微", false, "", ""},
		{"big fine", "", map[string]string{"cf_nr_fk": "200"}, "严重", true, "2025-03-15", "2027-03-15"},
		{"revoke licence", "", map[string]string{"cf_cflb": "吊销许可证件", "cf_nr_fk": ""}, "严重", true, "2025-03-15", "2027-03-15"},
		{"multi-type takes the longest", "", map[string]string{"cf_cflb": "警告；没收违法所得、罚款", "cf_nr_fk": "0.5"}, "一般", true, "2024-06-15", "2025-03-15"},
		{"unknown type counts as default", "", map[string]string{"cf_cflb": "警告;其他行政处罚", "cf_nr_fk": ""}, "一般", true, "2024-06-15", "2025-03-15"},
		{"person's fine band", "", map[string]string{"cf_xdr_lb": "自然人", "cf_nr_fk": "0.3"}, "一般", true, "2024-06-15", "2025-03-15"},
		{"organisation's fine band", "", map[string]string{"cf_nr_fk": "0.3"}, "轻微", false, "", ""},
		{"market: low fine shown 3 months", "market_regulation", map[string]string{"cf_nr_fk": "3"}, "轻微", true, "2024-06-15", "2024-06-15"},
		{"market: other fines up to 3 years", "market_regulation", map[string]string{"cf_nr_fk": "20"}, "一般", true, "2025-03-15", "2027-03-15"},
		{"market: warning alone not published", "market_regulation", map[string]string{"cf_cflb": "警告", "cf_nr_fk": ""}, "轻微", false, "", ""},
		{"market: warning and fine published", "market_regulation", map[string]string{"cf_cflb": "警告并处罚款", "cf_nr_fk": "3"}, "轻微", true, "2024-06-15", "2024-06-15"},
		{"market: 简易程序 not published", "market_regulation", map[string]string{"cf_nr_fk": "20", "bz": "简易程序"}, "一般", false, "", ""},
		{"tax thresholds", "tax", map[string]string{"cf_nr_fk": "60"}, "严重", true, "2025-03-15", "2027-03-15"},
		{"ecology daily fines", "ecology", map[string]string{"cf_nr_fk": "10", "cf_nr": "罚款10万元，按日连续处罚"}, "严重", true, "2025-03-15", "2027-03-15"},
		{"attached term beyond the maximum", "", map[string]string{"cf_cflb": "吊销许可证件", "cf_nr_fk": "",
			"cf_nr": "吊销食品经营许可证，法定代表人五年内不得从事食品生产经营管理工作"}, "严重", true, "2029-03-15", "2029-03-15"},
		{"attached term within the period", "", map[string]string{"cf_cflb": "罚款、限制从业", "cf_nr_fk": "2",
			"cf_nr": "罚款2万元，限制从业2年"}, "严重", true, "2026-03-15", "2027-03-15"},
		{"term from 处罚有效期", "", map[string]string{"cf_yxq": "2025-09-30"}, "一般", true, "2025-10-01", "2025-10-01"},
		{"long-term 处罚有效期 ignored", "", map[string]string{"cf_yxq": "2099-12-31"}, "一般", true, "2024-06-15", "2025-03-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := penalty(tt.changes)
			sev := p.Severity(f, tt.domain)
			if sev != tt.sev {
				t.Errorf("Severity = %q, want %q", sev, tt.sev)
			}
			start, minEnd, maxEnd, published := p.Window(f, sev, tt.domain, decided)
			if published != tt.published {
				t.Fatalf("published = %v, want %v", published, tt.published)
			}
			if !start.Equal(decided) {
				t.Errorf("start = %v", start)
			}
			wantMin := decided
			if tt.minEnd != "" {
				wantMin = day(tt.minEnd)
			}
			if published && !minEnd.Equal(wantMin) {
				t.Errorf("minEnd = %s, want %s", minEnd.Format(time.DateOnly), wantMin.Format(time.DateOnly))
			}
			if published && tt.maxEnd != "" && !maxEnd.Equal(day(tt.maxEnd)) {
				t.Errorf("maxEnd = %s, want %s", maxEnd.Format(time.DateOnly), tt.maxEnd)
			}
		})
	}
}

func TestWindowOtherItems(t *testing.T) {
	type want struct {
		published      bool
		minEnd, maxEnd string // "" = start / no end
	}
	tests := []struct {
		item   string
		domain string
		f      credit.Fields
		sev    credit.Severity // "-" = compute with Severity
		want   want
	}{
		{"admin_licence", "", credit.Fields{"xk_jdrq": "2024-03-15", "xk_yxqzi": "2027-12-31"}, "-", want{true, "", "2028-01-01"}},
		{"admin_licence", "", credit.Fields{"xk_jdrq": "2024-03-15", "xk_yxqzi": "2099-12-31"}, "-", want{true, "", ""}},
		{"registration", "", credit.Fields{"dj_clrq": "2010-05-04"}, "-", want{true, "", ""}},
		{"court_defaulter", "", credit.Fields{"sx_fbrq": "2024-03-15"}, "-", want{true, "", "2026-03-15"}},
		{"credit_commitment", "", credit.Fields{"cn_zcrq": "2024-03-15", "cn_gklx": "不可公开"}, "-", want{false, "", ""}},
		{"credit_commitment", "", credit.Fields{"cn_zcrq": "2024-03-15", "cn_gklx": "可向社会公开", "cn_yxq": "2025-03-14"}, "-", want{true, "", "2025-03-15"}},
		{"credit_commitment", "", credit.Fields{"cn_zcrq": "2024-03-15", "cn_gklx": "可向社会公开", "cn_lxzt": "全部未履行"}, "-", want{true, "2024-06-15", "2025-03-15"}},
		{"abnormal_operation", "", credit.Fields{"yc_lrrq": "2024-03-15"}, "-", want{false, "", ""}},
		{"abnormal_operation", "market_regulation", credit.Fields{"yc_lrrq": "2024-03-15", "yc_ycrq": "2024-07-01"}, "-", want{true, "", "2024-07-02"}},
		{"honour", "", credit.Fields{"ry_rq": "2024-03-15"}, "-", want{true, "", ""}},
		{"contract_performance", "", credit.Fields{"ht_rdrq": "2024-03-15", "ht_lxqk": "正常履行"}, "-", want{false, "", ""}},
		{"contract_performance", "", credit.Fields{"ht_rdrq": "2024-03-15", "ht_lxqk": "违约"}, "-", want{true, "2024-06-15", "2025-03-15"}},
		{"admin_penalty", "", credit.Fields{"cf_jdrq": "2024-08-31", "cf_cflb": "没收违法所得"}, "-", want{true, "2024-11-30", "2025-08-31"}},
		{"admin_penalty", "", credit.Fields{"cf_cflb": "没收违法所得"}, "-", want{false, "", ""}},      // no decision date
		{"admin_penalty", "", credit.Fields{"cf_jdrq": "2024-03-15"}, "较重", want{false, "", ""}}, // no rule, no publication
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tt.item), func(t *testing.T) {
			it := mustItem(t, tt.item)
			sev := tt.sev
			if sev == "-" {
				sev = it.Severity(tt.f, tt.domain)
			}
			start, minEnd, maxEnd, published := it.Window(tt.f, sev, tt.domain, time.Time{})
			if published != tt.want.published {
				t.Fatalf("published = %v, want %v (severity %q)", published, tt.want.published, sev)
			}
			if !published {
				return
			}
			if tt.want.minEnd == "" && !minEnd.Equal(start) || tt.want.minEnd != "" && !minEnd.Equal(day(tt.want.minEnd)) {
				t.Errorf("minEnd = %s, want %q", minEnd.Format(time.DateOnly), tt.want.minEnd)
			}
			if tt.want.maxEnd == "" && !maxEnd.IsZero() || tt.want.maxEnd != "" && !maxEnd.Equal(day(tt.want.maxEnd)) {
				t.Errorf("maxEnd = %s, want %q", maxEnd.Format(time.DateOnly), tt.want.maxEnd)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2024, 3, 5, 0, 0, 0, 0, chinatime.Location)
	for _, s := range []string{"2024-03-05", "2024-3-5", "2024/03/05", "2024/3/5", "20240305", "2024年3月5日", "2024年03月05日", " 2024-03-05 ", "2024-03-05 00:00:00", "2024/3/5 14:30"} {
		got, err := ParseDate(s)
		if err != nil || !got.Equal(want) || got.Location() != chinatime.Location {
			t.Errorf("ParseDate(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "2024-13-01", "2024-02-30", "05/03/2024", "2024-03", "2024-03-05 25:00:00", "yesterday",
		"2024", "202403", "45000", "2024年3月", "2024/3", "2024.3", "240305"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) succeeded", s)
		}
	}
}

func TestPublishWithinWorkdays(t *testing.T) {
	p := mustItem(t, "admin_penalty")
	if got := p.PublishWithinWorkdays(""); got != 7 {
		t.Errorf("default = %d, want 7", got)
	}
	if got := p.PublishWithinWorkdays("market_regulation"); got != 20 {
		t.Errorf("market_regulation = %d, want 20", got)
	}
}

func TestParseCount(t *testing.T) {
	for s, want := range map[string]int{"3": 3, "三": 3, "两": 2, "十": 10, "十二": 12, "二十": 20, "二十五": 25} {
		if got, ok := parseCount(s); !ok || got != want {
			t.Errorf("parseCount(%q) = %d, %v", s, got, ok)
		}
	}
}

// TestSplitParts: the splitter that allocates nothing cuts every value as
// replacing 并处 by a separator and splitting on separators does.
func TestSplitParts(t *testing.T) {
	reference := func(v string) []string {
		return strings.FieldsFunc(strings.ReplaceAll(v, "并处", ";"), isPartSeparator)
	}
	pieces := []string{"罚款", "警告", "并处", "并", "处", "；", ";", "、", " ", "\u3000", "没收违法所得", "吊销许可证", "\xff", "/", "5,000元"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		v := b.String()
		got, want := splitParts(v), reference(v)
		if !slices.Equal(got, want) {
			t.Fatalf("splitParts(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestPublicationForDomains: the rules merged at load give what merging
// on every call gave.
func TestPublicationForDomains(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range c.Items {
		for _, d := range it.Publication.Domains {
			n++
			gotP, gotU, gotE := it.publicationFor(d.Domain)
			wantP, wantU, wantE := it.mergePublication(d.Domain)
			if !reflect.DeepEqual(gotP, wantP) || !reflect.DeepEqual(gotU, wantU) || gotE != wantE {
				t.Errorf("%s in %s: %+v %+v %q, want %+v %+v %q", it.Code, d.Domain, gotP, gotU, gotE, wantP, wantU, wantE)
			}
		}
	}
	if n == 0 {
		t.Fatal("the embedded catalogue has no domain overrides to check")
	}
}
