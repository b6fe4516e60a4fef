// Package gen produces realistic synthetic data for tests, demos and
// benchmarks: subjects with valid codes and plausible Chinese names, and
// department records. Output is deterministic for a seed.
package gen

import (
	"math/rand/v2"
	"strings"
)

// Names draws plausible Chinese company and person names.
type Names struct{ r *rand.Rand }

// NewNames returns a name source seeded deterministically.
func NewNames(seed uint64) *Names {
	return &Names{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	// 字号 syllables: common trade-name characters.
	tradeChars = []rune("华新信达恒泰宏盛鑫源兴隆永安瑞丰嘉和天元金鼎博远正通联创中科明德宁海东方恒达海宇金诚锦程星辰启航卓越远景腾飞骏马翔龙万通昌隆福祥凯旋佳美汇丰")
	industries = []string{
		"电子科技", "信息技术", "新能源科技", "建筑工程", "商贸", "食品", "医药", "物流",
		"餐饮管理", "房地产开发", "机械制造", "环保科技", "文化传媒", "农业发展", "汽车销售",
		"装饰工程", "网络科技", "生物科技", "化工", "纺织", "服装", "教育咨询", "劳务派遣", "物业管理",
	}
	forms      = []string{"有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"}
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
	givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文斌宇浩然欣怡子涵梓萱俊杰")
	compound   = []string{"欧阳", "司马", "上官", "诸葛"}
)

func (n *Names) pick(rs []rune) string { return string(rs[n.r.IntN(len(rs))]) }

// Person returns a person's name of two to four characters.
func (n *Names) Person() string {
	var b strings.Builder
	if n.r.IntN(100) == 0 {
		b.WriteString(compound[n.r.IntN(len(compound))])
	} else {
		b.WriteString(n.pick(surnames))
	}
	b.WriteString(n.pick(givenChars))
	if n.r.IntN(3) > 0 {
		b.WriteString(n.pick(givenChars))
	}
	return b.String()
}

// Company returns a company name: place prefix, trade name, industry, form,
// e.g. 福州恒泰电子科技有限公司.
func (n *Names) Company(place string) string {
	var b strings.Builder
	b.WriteString(place)
	b.WriteString(n.pick(tradeChars))
	b.WriteString(n.pick(tradeChars))
	if n.r.IntN(4) == 0 {
		b.WriteString(n.pick(tradeChars))
	}
	b.WriteString(industries[n.r.IntN(len(industries))])
	b.WriteString(forms[n.r.IntN(len(forms))])
	return b.String()
}

// Shop returns an individual business name (个体工商户), e.g. 思明区张记餐饮店.
func (n *Names) Shop(place string) string {
	kinds := []string{"餐饮店", "便利店", "五金店", "美发店", "水果店", "服装店", "汽车维修部", "小吃店"}
	return place + n.pick(surnames) + "记" + kinds[n.r.IntN(len(kinds))]
}

// Organisation returns the name of an organisation registered by an
// authority other than the market regulator's enterprise register, by
// its GB 32100 authority and entity type (a code beginning 11 is a
// government office, 52 a private non-enterprise unit, …), so that a
// name never contradicts its code; "" for an enterprise (Company names
// it).
func (n *Names) Organisation(place string, authority, entity byte) string {
	one := func(xs ...string) string { return xs[n.r.IntN(len(xs))] }
	trade := n.pick(tradeChars) + n.pick(tradeChars)
	city := place + "市"
	switch authority {
	case '1':
		switch entity {
		case '1':
			return city + one("城市管理局", "交通运输局", "自然资源和规划局", "文化和旅游局", "卫生健康委员会", "商务局")
		case '2':
			return city + one("第一医院", "职业技术学校", "实验小学", "疾病预防控制中心", "图书馆", "公共资源交易中心")
		default:
			return city + one("总工会", "妇女联合会", "科学技术协会", "归国华侨联合会")
		}
	case '3':
		if entity == '1' {
			return place + trade + "律师事务所"
		}
		return city + one("公证处", "第二公证处")
	case '5':
		switch entity {
		case '1':
			return city + one("餐饮行业", "物流", "软件行业", "建筑业", "旅游", "食品行业") + "协会"
		case '2':
			return place + trade + one("培训学校", "养老院", "康复中心", "幼儿园")
		default:
			return city + trade + "慈善基金会"
		}
	case '7':
		return place + trade + one("寺", "堂")
	case '8':
		return city + one("建筑", "交通运输", "商贸", "教育") + "工会"
	case 'N':
		return place + trade + one("茶叶", "果蔬", "水产", "食用菌") + "专业合作社"
	case '9':
		if entity == '3' {
			return place + trade + one("茶叶", "果蔬", "水产", "食用菌") + "专业合作社"
		}
	}
	return ""
}
