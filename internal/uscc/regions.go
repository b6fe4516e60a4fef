package uscc

import "slices"

// Region is a GB/T 2260 administrative division code with its name.
type Region struct {
	Code string
	Name string
}

// regions is a sample of real GB/T 2260 codes, a few per province, county
// level mostly plus the city level that registration authorities of large
// cities use. It feeds the test-data generator and Reason's summary; it is
// not a complete table, so validation never rejects a region for missing
// from it.
var regions = []Region{
	{"110000", "北京市"},
	{"110101", "东城区"},
	{"110102", "西城区"},
	{"110105", "朝阳区"},
	{"110106", "丰台区"},
	{"110108", "海淀区"},
	{"110114", "昌平区"},
	{"120101", "和平区"},
	{"120116", "滨海新区"},
	{"130104", "桥西区"},
	{"140105", "小店区"},
	{"150102", "新城区"},
	{"210102", "和平区"},
	{"210202", "中山区"},
	{"220102", "南关区"},
	{"230102", "道里区"},
	{"310000", "上海市"},
	{"310101", "黄浦区"},
	{"310104", "徐汇区"},
	{"310105", "长宁区"},
	{"310112", "闵行区"},
	{"310115", "浦东新区"},
	{"320102", "玄武区"},
	{"320211", "滨湖区"},
	{"320500", "苏州市"},
	{"320505", "虎丘区"},
	{"320506", "吴中区"},
	{"330100", "杭州市"},
	{"330102", "上城区"},
	{"330106", "西湖区"},
	{"330108", "滨江区"},
	{"330203", "海曙区"},
	{"330782", "义乌市"},
	{"340104", "蜀山区"},
	{"350100", "福州市"},
	{"350102", "鼓楼区"},
	{"350103", "台江区"},
	{"350104", "仓山区"},
	{"350105", "马尾区"},
	{"350111", "晋安区"},
	{"350112", "长乐区"},
	{"350121", "闽侯县"},
	{"350181", "福清市"},
	{"350200", "厦门市"},
	{"350203", "思明区"},
	{"350205", "海沧区"},
	{"350206", "湖里区"},
	{"350211", "集美区"},
	{"350212", "同安区"},
	{"350213", "翔安区"},
	{"350502", "鲤城区"},
	{"350900", "宁德市"},
	{"350902", "蕉城区"},
	{"350582", "晋江市"},
	{"360102", "东湖区"},
	{"370102", "历下区"},
	{"370202", "市南区"},
	{"410105", "金水区"},
	{"420106", "武昌区"},
	{"420111", "洪山区"},
	{"430104", "岳麓区"},
	{"440100", "广州市"},
	{"440103", "荔湾区"},
	{"440106", "天河区"},
	{"440300", "深圳市"},
	{"440303", "罗湖区"},
	{"440304", "福田区"},
	{"440305", "南山区"},
	{"440306", "宝安区"},
	{"440604", "禅城区"},
	{"441900", "东莞市"},
	{"450103", "青秀区"},
	{"460106", "龙华区"},
	{"500103", "渝中区"},
	{"500112", "渝北区"},
	{"510100", "成都市"},
	{"510104", "锦江区"},
	{"510107", "武侯区"},
	{"510108", "成华区"},
	{"520102", "南明区"},
	{"530102", "五华区"},
	{"540102", "城关区"},
	{"610113", "雁塔区"},
	{"620102", "城关区"},
	{"630102", "城东区"},
	{"640104", "兴庆区"},
	{"650102", "天山区"},
}

var regionNames = func() map[string]string {
	m := make(map[string]string, len(regions))
	for _, r := range regions {
		m[r.Code] = r.Name
	}
	return m
}()

// Regions returns the built-in sample of GB/T 2260 codes. The slice is a
// copy, so callers cannot alter the table the package relies on.
func Regions() []Region { return slices.Clone(regions) }

// RegionName returns the name of a code in the built-in sample, or "" when
// the code is not in it (which does not make the code wrong).
func RegionName(code string) string { return regionNames[code] }
