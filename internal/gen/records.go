package gen

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Items the record generator can produce.
var Items = []string{"admin_penalty", "admin_licence", "court_defaulter", "honour", "credit_commitment"}

// Error kinds the generator can inject, each a realistic mistake of
// department data.
var ErrorKinds = []string{
	"bad_check",        // a USCC whose check character is wrong
	"placeholder",      // 00000000000000000X instead of a real code
	"future_date",      // a decision date after today
	"bad_date",         // 2024-02-30
	"missing_required", // a required field left empty
	"bad_amount",       // 1,000 or -5 in an amount field
	"duplicate",        // a row repeating an earlier document number
	"wrong_kind",       // 个体工商户 with an enterprise's code, or the reverse
	"bad_idno",         // a resident ID number with a wrong check character
}

// RecordOptions configures a RecordGen.
type RecordOptions struct {
	Item string
	Seed uint64
	// Now anchors dates: decisions fall in the three years before it.
	Now time.Time
	// Subjects is the size of the subject population rows draw from
	// (default: 50 000). Subject i is derived from (Seed, i) alone, so the
	// population needs no memory.
	Subjects int
	// ErrorRate is the share of rows (0..1) given one error of a kind
	// drawn from Errors (default: all ErrorKinds).
	ErrorRate float64
	Errors    []string
	// Region is the GB/T 2260 region of the deciding authority.
	Region string
	// Dept, when set, is the department reporting the file: its name is
	// the deciding authority, and what it decides follows its kind (a
	// housing bureau issues building permits, a tax bureau grades
	// taxpayers A, a court lists defaulters).
	Dept *catalog.Department
	// Regions are where the population is registered (GB/T 2260 codes);
	// empty: anywhere in uscc.Regions. A company is named after the city
	// it is registered in.
	Regions []string
	// From and To bound the part of the population the rows are about
	// (subjects From to To-1; To 0 means Subjects), so that files can
	// concern disjoint subjects: honours go to companies without
	// penalties.
	From, To int
	// Part tells apart files of the same department and item drawn from
	// the same population (a large installation's data comes in many
	// files): each part draws other rows, numbered from Part × 1 000 000
	// (so parts of up to a million rows have distinct document numbers).
	// Part 0 draws what a file always drew.
	Part int
	// Names fixes the names of some subjects of the population (by index),
	// so that a demo has predictable names to search for. A fixed name
	// that starts with a city's name is registered in that city.
	Names map[int]string
}

// RecordGen produces department records in the 双公示 field sets,
// deterministically for a seed, in constant memory.
type RecordGen struct {
	o        RecordOptions
	r        *rand.Rand
	names    *Names
	n        int
	recent   []string // recent document numbers, for duplicates
	authCode string
	authName string
}

// Row is one generated record: its fields by code and the error injected
// ("" for a good row).
type Row struct {
	Fields credit.Fields
	Error  string
}

// NewRecords returns a generator for one item.
func NewRecords(o RecordOptions) (*RecordGen, error) {
	known := false
	for _, it := range Items {
		known = known || it == o.Item
	}
	if !known {
		return nil, fmt.Errorf("gen: cannot generate item %q (known: %s)", o.Item, strings.Join(Items, ", "))
	}
	for _, e := range o.Errors {
		ok := false
		for _, k := range ErrorKinds {
			ok = ok || k == e
		}
		if !ok {
			return nil, fmt.Errorf("gen: unknown error kind %q (known: %s)", e, strings.Join(ErrorKinds, ", "))
		}
	}
	if len(o.Errors) == 0 {
		o.Errors = ErrorKinds
	}
	if o.Subjects <= 0 {
		o.Subjects = 50000
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 11, 2, 0, 0, 0, 0, chinatime.Location)
	}
	if o.Region == "" {
		o.Region = "350100"
		if o.Dept != nil && o.Dept.Region != "" {
			o.Region = o.Dept.Region
		}
	}
	if o.To <= 0 || o.To > o.Subjects {
		o.To = o.Subjects
	}
	if o.From < 0 || o.From >= o.To {
		return nil, fmt.Errorf("gen: subjects %d to %d: no subject in the range", o.From, o.To)
	}
	stream := uint64(0x5851f42d4c957f2d)
	if o.Dept != nil {
		// Each department's file draws its own rows from the same
		// population (which the seed alone fixes).
		h := fnv.New64a()
		h.Write([]byte(o.Dept.Code + "\x00" + o.Item))
		stream ^= h.Sum64()
	}
	if o.Part != 0 {
		stream ^= uint64(o.Part) * 0x9e3779b97f4a7c15
	}
	g := &RecordGen{o: o, r: rand.New(rand.NewPCG(o.Seed, stream)), names: NewNames(o.Seed ^ 0xabcdef)}
	g.n = o.Part * 1_000_000
	ug := uscc.NewGenerator(int64(o.Seed) ^ 0x1234)
	g.authCode = ug.USCC('1', '1', o.Region)
	g.authName = authorityName(o.Item, o.Region)
	if o.Dept != nil {
		g.authName = o.Dept.Name
	}
	return g, nil
}

// deptKind is the kind of the reporting department, "" when unknown.
func (g *RecordGen) deptKind() string {
	if g.o.Dept == nil {
		return ""
	}
	return g.o.Dept.Kind
}

func authorityName(item, region string) string {
	place := strings.TrimSuffix(uscc.RegionName(region), "市")
	if place == "" {
		place = "福州"
	}
	switch item {
	case "court_defaulter":
		return place + "市中级人民法院"
	case "honour", "credit_commitment":
		return place + "市发展和改革委员会"
	}
	return place + "市市场监督管理局"
}

// Subject is one generated subject.
type Subject struct {
	Kind     credit.SubjectKind
	Code     string // USCC, for organisations and individual businesses
	IDNo     string // resident ID, for persons
	Name     string
	LegalRep string
	RepID    string
}

// SubjectAt returns subject i of the population: a function of (seed, i).
func (g *RecordGen) SubjectAt(i int) Subject {
	seed := g.o.Seed*1_000_003 + uint64(i)
	ug := uscc.NewGenerator(int64(seed))
	nm := NewNames(seed)
	r := rand.New(rand.NewPCG(seed, 7))
	if r.IntN(10) == 0 { // one in ten is a natural person
		birth := time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		return Subject{Kind: credit.Person, IDNo: ug.ResidentID(ug.RandomRegion(), birth, r.IntN(2) == 0), Name: nm.Person()}
	}
	var code string
	if len(g.o.Regions) > 0 {
		code = ug.RandomUSCCIn(g.o.Regions[r.IntN(len(g.o.Regions))])
	} else {
		code = ug.RandomUSCC()
	}
	fixed, isFixed := g.o.Names[i]
	if isFixed {
		// A fixed name is a company's, registered where its name says.
		code = ug.USCC('9', '1', regionNamed(fixed, uscc.CheckUSCC(code).Region))
	}
	res := uscc.CheckUSCC(code)
	place := trimPlace(uscc.RegionName(uscc.CityOf(res.Region)))
	s := Subject{Kind: credit.Organisation, Code: code, Name: nm.Company(place), LegalRep: nm.Person()}
	if credit.OrgKind(res.Authority, res.EntityType) == credit.IndividualBusiness {
		s.Kind, s.Name = credit.IndividualBusiness, nm.Shop(place)
	} else if len(res.Authority) == 1 && len(res.EntityType) == 1 {
		if name := nm.Organisation(place, res.Authority[0], res.EntityType[0]); name != "" {
			s.Name = name
		}
	}
	if isFixed {
		s.Name = fixed
	}
	birth := time.Date(1955+r.IntN(45), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	s.RepID = ug.ResidentID(res.Region, birth, r.IntN(2) == 0)
	return s
}

// regionNamed is the region of the city a company name starts with (福州…
// → 350100), or def when no city of the table starts it.
func regionNamed(name, def string) string {
	for _, r := range uscc.Regions() {
		if place := trimPlace(r.Name); strings.HasSuffix(r.Code, "00") && len([]rune(place)) >= 2 && strings.HasPrefix(name, place) {
			return r.Code
		}
	}
	return def
}

func trimPlace(name string) string {
	r := []rune(name)
	if len(r) > 2 {
		switch r[len(r)-1] {
		case '市', '区', '县':
			return string(r[:len(r)-1])
		}
	}
	if name == "" {
		return "福州"
	}
	return name
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// Next returns the next record.
func (g *RecordGen) Next() Row {
	g.n++
	r := g.r
	subj := g.SubjectAt(g.o.From + r.IntN(g.o.To-g.o.From))
	if g.o.Item == "court_defaulter" && subj.Kind == credit.Person && strings.HasPrefix(subj.IDNo[6:10], "20") {
		subj = g.SubjectAt(0) // minors are never listed; adults only
	}
	decided := g.o.Now.AddDate(0, 0, -1-r.IntN(3*365))
	f := credit.Fields{}
	var nameF, kindF, codeF, idF, docF, dateF, amountF string
	year := decided.Year()
	switch g.o.Item {
	case "admin_penalty":
		nameF, kindF, codeF, idF, docF, dateF, amountF = "cf_xdr_mc", "cf_xdr_lb", "cf_xdr_shxym", "cf_xdr_zjhm", "cf_wsh", "cf_jdrq", "cf_nr_fk"
		kinds := []struct{ cflb, nr, fk string }{
			{"警告", "警告", ""},
			{"通报批评", "通报批评", ""},
			{"罚款", "罚款人民币%s元", "0.5"},
			{"罚款", "罚款人民币%s元", "3"},
			{"罚款;没收违法所得", "罚款人民币%s元，没收违法所得", "20"},
			{"罚款", "罚款人民币%s元", "150"},
			{"暂扣许可证", "暂扣食品经营许可证三个月", ""},
			{"吊销许可证", "吊销食品经营许可证", ""},
			{"责令停产停业", "责令停产停业整顿", ""},
		}
		k := kinds[r.IntN(len(kinds))]
		nr := k.nr
		if k.fk != "" {
			nr = fmt.Sprintf(k.nr, k.fk+"万")
			f["cf_nr_fk"] = k.fk
		}
		f["cf_wsh"] = fmt.Sprintf("榕市监罚字〔%d〕%06d号", year, g.n)
		f["cf_wfxw"] = pick(r, "经营超过保质期的食品", "未按规定公示营业执照", "虚假宣传", "无证经营", "销售不合格产品")
		f["cf_sy"] = "经查，当事人存在违法行为，违反了相关法律法规的规定。"
		f["cf_yj"] = pick(r, "《中华人民共和国食品安全法》第一百二十四条", "《中华人民共和国反不正当竞争法》第二十条", "《中华人民共和国产品质量法》第四十九条")
		f["cf_cflb"], f["cf_nr"], f["cf_jdrq"] = k.cflb, nr, day(decided)
		f["cf_cfjg"], f["cf_cfjgdm"], f["cf_sjly"], f["cf_sjlydm"] = g.authName, g.authCode, g.authName, g.authCode
		if subj.Kind == credit.Organisation {
			f["cf_frdb"] = subj.LegalRep
		}
		if subj.Kind == credit.Person {
			f["cf_xdr_zjlx"] = "身份证"
		}
	case "admin_licence":
		nameF, kindF, codeF, idF, docF, dateF = "xk_xdr_mc", "xk_xdr_lb", "xk_xdr_shxym", "xk_xdr_zjhm", "xk_wsh", "xk_jdrq"
		// What a department licenses follows its kind: building permits
		// come from housing, food and drug licences from market regulation.
		if g.deptKind() == "housing" {
			f["xk_xkws"], f["xk_xkzs"], f["xk_nr"] = "建筑工程施工许可决定书", "建筑工程施工许可证", "房屋建筑工程施工"
			f["xk_wsh"] = fmt.Sprintf("榕建许〔%d〕%06d号", year, g.n)
			f["xk_xkbh"] = fmt.Sprintf("%s%s%06d", g.o.Region, decided.Format("200601"), g.n%1000000)
		} else {
			doc := pick(r, "食品经营许可决定书", "药品经营许可决定书")
			f["xk_xkws"], f["xk_xkzs"] = doc, strings.TrimSuffix(doc, "决定书")+"证"
			f["xk_nr"] = map[string]string{"食品经营许可决定书": "预包装食品销售（含冷藏冷冻食品）", "药品经营许可决定书": "药品零售（处方药、非处方药）"}[doc]
			f["xk_wsh"] = fmt.Sprintf("榕市监许〔%d〕%06d号", year, g.n)
			f["xk_xkbh"] = fmt.Sprintf("JY1%s%08d", g.o.Region, g.n)
		}
		f["xk_xklb"] = pick(r, "普通", "普通", "特许", "认可", "核准", "登记")
		f["xk_jdrq"], f["xk_yxqz"], f["xk_yxqzi"] = day(decided), day(decided), day(decided.AddDate(5, 0, 0))
		f["xk_xkjg"], f["xk_xkjgdm"], f["xk_zt"], f["xk_lydw"], f["xk_lydwdm"] = g.authName, g.authCode, "有效", g.authName, g.authCode
		if subj.Kind == credit.Organisation {
			f["xk_frdb"] = subj.LegalRep
		}
		if subj.Kind == credit.Person {
			f["xk_xdr_zjlx"] = "身份证"
		}
	case "court_defaulter":
		nameF, kindF, codeF, idF, docF, dateF = "sx_bzxr_mc", "sx_bzxr_lb", "sx_shxym", "sx_zjhm", "sx_ah", "sx_fbrq"
		f["sx_ah"] = fmt.Sprintf("（%d）闽01执%d号", year, g.n)
		f["sx_zxfy"], f["sx_zxfydm"] = g.authName, g.authCode
		f["sx_zxyj"] = fmt.Sprintf("（%d）闽01民初%d号", year-1, g.n)
		f["sx_zxyjdw"] = g.authName
		f["sx_yw"] = "被执行人应于判决生效之日起十日内支付申请执行人货款及利息"
		f["sx_lxqk"] = pick(r, "全部未履行", "部分未履行")
		f["sx_qx"] = pick(r, "有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令")
		f["sx_lasj"], f["sx_fbrq"] = day(decided.AddDate(0, -3, 0)), day(decided)
		if subj.Kind == credit.Organisation {
			f["sx_fddbr"] = subj.LegalRep
		}
	case "honour":
		nameF, kindF, codeF, idF, docF, dateF = "ry_mc", "ry_lb", "ry_shxym", "ry_zjhm", "ry_wh", "ry_rq"
		// Honours follow the department that confers them: a tax bureau
		// grades taxpayers A, a market regulator names 守合同重信用 firms.
		switch g.deptKind() {
		case "tax":
			f["ry_rymc"] = fmt.Sprintf("%d年度纳税信用A级纳税人", year-1)
		case "samr":
			f["ry_rymc"] = pick(r, "守合同重信用企业", "诚信个体工商户")
		default:
			f["ry_rymc"] = pick(r, "诚信经营示范单位", "守合同重信用企业", "诚信个体工商户")
		}
		f["ry_rydj"] = pick(r, "国家级", "省级", "市级", "县级")
		f["ry_wh"] = fmt.Sprintf("榕发改〔%d〕%d号", year, g.n)
		f["ry_rq"], f["ry_yxqzi"] = day(decided), day(decided.AddDate(2, 0, 0))
		f["ry_jg"], f["ry_jgdm"] = g.authName, g.authCode
		if subj.Kind == credit.Person {
			f["ry_zjlx"] = "身份证"
		}
	case "credit_commitment":
		nameF, kindF, codeF, idF, docF, dateF = "cn_crr_mc", "cn_crr_lb", "cn_crr_dm", "cn_crr_zjhm", "cn_bm", "cn_zcrq"
		f["cn_bm"] = fmt.Sprintf("%s%s%06d", g.o.Region, decided.Format("20060102"), g.n%1000000)
		f["cn_lx"] = pick(r, "审批替代型", "容缺受理型", "证明事项型", "信用修复型", "行业自律型", "主动型")
		f["cn_sy"] = "申请办理行政许可事项"
		f["cn_nr"] = "本单位承诺所提供的材料真实、合法、有效，并按时补齐材料。"
		f["cn_wnzr"] = "如违反承诺，愿意承担相应法律责任并接受失信惩戒。"
		f["cn_zcrq"], f["cn_yxq"] = day(decided), day(decided.AddDate(1, 0, 0))
		f["cn_lxzt"] = pick(r, "全部履行", "全部履行", "全部履行", "部分履行", "全部未履行")
		f["cn_sldw"], f["cn_sldwdm"], f["cn_gklx"] = g.authName, g.authCode, "可向社会公开"
	}
	f[nameF], f[kindF] = subj.Name, catalog.SubjectKindLabel(subj.Kind)
	if subj.Kind == credit.Person {
		f[idF] = subj.IDNo
	} else {
		f[codeF] = subj.Code
	}
	row := Row{Fields: f}
	if g.o.ErrorRate > 0 && r.Float64() < g.o.ErrorRate {
		row.Error = g.o.Errors[r.IntN(len(g.o.Errors))]
		g.inject(&row, subj, nameF, kindF, codeF, idF, docF, dateF, amountF)
	}
	if row.Error == "" { // only good rows can be duplicated: a duplicate of a rejected row is no duplicate
		if len(g.recent) >= 64 {
			g.recent = g.recent[1:]
		}
		g.recent = append(g.recent, f[docF])
	}
	return row
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func (g *RecordGen) inject(row *Row, subj Subject, nameF, kindF, codeF, idF, docF, dateF, amountF string) {
	f, r := row.Fields, g.r
	switch row.Error {
	case "bad_check", "placeholder", "wrong_kind":
		if subj.Kind == credit.Person {
			// Persons have no USCC: their ID number is what can be wrong.
			row.Error = "bad_idno"
			g.inject(row, subj, nameF, kindF, codeF, idF, docF, dateF, amountF)
			return
		}
		switch row.Error {
		case "bad_check":
			c := f[codeF]
			last := "0123456789ABCDEFGHJKLMNPQRTUWXY"
			i := strings.IndexByte(last, c[17])
			f[codeF] = c[:17] + string(last[(i+1+r.IntN(29))%31])
		case "placeholder":
			f[codeF] = "00000000000000000X"
		case "wrong_kind":
			if subj.Kind == credit.IndividualBusiness {
				f[kindF] = "法人及非法人组织"
			} else {
				f[kindF] = "个体工商户"
			}
		}
	case "bad_idno":
		if subj.Kind != credit.Person {
			row.Error = "bad_check"
			g.inject(row, subj, nameF, kindF, codeF, idF, docF, dateF, amountF)
			return
		}
		id := f[idF]
		c := id[17]
		n := byte('0')
		if c == '0' {
			n = '1'
		}
		f[idF] = id[:17] + string(n)
	case "future_date":
		f[dateF] = day(g.o.Now.AddDate(0, 0, 30+r.IntN(300)))
	case "bad_date":
		f[dateF] = fmt.Sprintf("%d-02-30", g.o.Now.Year()-1)
	case "missing_required":
		f[pick(r, nameF, docF, dateF)] = ""
	case "bad_amount":
		if amountF == "" {
			f[dateF] = "去年三月"
			return
		}
		f[amountF] = pick(r, "1,000", "-5", "五万")
	case "duplicate":
		if len(g.recent) == 0 {
			row.Error = ""
			return
		}
		f[docF] = g.recent[r.IntN(len(g.recent))]
	}
}
