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
