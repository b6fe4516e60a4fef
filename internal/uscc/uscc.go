package uscc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is the outcome of a check.
type Status int

// The zero Status is deliberately not Valid: a Result that was never filled
// in (a zero value, a forgotten assignment) must not pass as a valid code.
// The order runs from best to worst so callers may compare severities.
const (
	Valid   Status = iota + 1 // the code passes every check
	Flagged                   // only the check character(s) fail and the code is on the legacy allow-list
	Invalid                   // anything else that fails
)

func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Flagged:
		return "flagged"
	case Invalid:
		return "invalid"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText lets Status travel as its name in JSON and other text
// encodings, so stored or transmitted values do not depend on the numbering.
func (s Status) MarshalText() ([]byte, error) {
	switch s {
	case Valid, Flagged, Invalid:
		return []byte(s.String()), nil
	}
	return nil, fmt.Errorf("uscc: cannot marshal unknown status %d", int(s))
}

// UnmarshalText is the inverse of MarshalText.
func (s *Status) UnmarshalText(b []byte) error {
	switch string(b) {
	case "valid":
		*s = Valid
	case "flagged":
		*s = Flagged
	case "invalid":
		*s = Invalid
	default:
		return fmt.Errorf("uscc: unknown status %q", b)
	}
	return nil
}

// ProblemKind names a kind of fault. The values are stable: they are stored
// with data-quality statistics and sent back to reporting departments, so
// they must never be renamed.
type ProblemKind string

const (
	ProblemLength       ProblemKind = "length"        // not 18 characters
	ProblemChar         ProblemKind = "char"          // a character not allowed at that position
	ProblemAuthority    ProblemKind = "authority"     // unknown registration authority (position 1)
	ProblemType         ProblemKind = "type"          // entity type unknown for that authority (position 2)
	ProblemRegion       ProblemKind = "region"        // positions 3–8 are not 6 digits
	ProblemOrgCodeCheck ProblemKind = "orgcode_check" // GB 11714 check digit at position 17 is wrong
	ProblemCheck        ProblemKind = "check"         // GB 32100 check character at position 18 is wrong
	ProblemPlaceholder  ProblemKind = "placeholder"   // a filler such as 00000000000000000X, not a real code
	ProblemBirthdate    ProblemKind = "birthdate"     // resident ID with an impossible birth date
	ProblemIDCheck      ProblemKind = "id_check"      // GB 11643 check character is wrong
)

// Problem is one fault found in a code.
type Problem struct {
	Kind ProblemKind
	Pos  int    // 1-based position of the offending character, 0 when the problem is not about one position
	Got  string // what the code has there
	Want string // what it should have, when that can be computed
	Msg  string // one-line human message
	// MsgZh is the message in Chinese.
	MsgZh string
}

// Result kinds.
const (
	KindUSCC       = "uscc"
	KindResidentID = "resident_id"
)

// Result is the outcome of checking one code, with whatever could be decoded
// from it. Decoded fields are filled even when the code is invalid, as far as
// the faulty parts allow, because a department fixing its data needs to see
// what the platform read.
type Result struct {
	Code     string // normalised input: trimmed and upper-cased
	Kind     string // KindUSCC or KindResidentID
	Status   Status
	Problems []Problem

	// Unified social credit code fields.
	Authority      string // position 1
	AuthorityName  string // e.g. 工商/市场监管; empty when unknown
	EntityType     string // position 2
	EntityTypeName string // e.g. 企业; empty when unknown
	Region         string // positions 3–8 (USCC) or 1–6 (resident ID), GB/T 2260
	OrgCode        string // positions 9–17: the GB 11714 organisation code

	// Resident ID fields.
	Birth time.Time // civil date at midnight UTC; zero when not decodable
	Male  bool      // position 17 odd
}

// maxReasonProblems bounds Reason so that garbage input (every position
// wrong) still yields a readable single line.
const maxReasonProblems = 3

// Reason gives a one-line human explanation: a decoded summary when the code
// is valid, otherwise the problems' messages.
func (r Result) Reason() string {
	if r.Status == Valid {
		return r.summary()
	}
	var b strings.Builder
	if r.Status == Flagged {
		b.WriteString("legacy code on the allow-list, flagged not rejected: ")
	}
	for i, p := range r.Problems {
		if i == maxReasonProblems {
			fmt.Fprintf(&b, " (+%d more)", len(r.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Msg)
	}
	if len(r.Problems) == 0 {
		// Only reachable with a hand-built Result; say so rather than print
		// an empty reason.
		b.WriteString(r.Status.String())
	}
	return b.String()
}

// ReasonZh is Reason in Chinese.
func (r Result) ReasonZh() string {
	if r.Status == Valid {
		return r.summary()
	}
	var b strings.Builder
	if r.Status == Flagged {
		b.WriteString("列入历史代码名单的代码，已作标记，未退回：")
	}
	for i, p := range r.Problems {
		if i == maxReasonProblems {
			fmt.Fprintf(&b, "（另有%d处问题）", len(r.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("；")
		}
		if p.MsgZh != "" {
			b.WriteString(p.MsgZh)
		} else {
			b.WriteString(p.Msg)
		}
	}
	if len(r.Problems) == 0 {
		b.WriteString(r.Status.String())
	}
	return b.String()
}

func (r Result) summary() string {
	region := "region " + r.Region
	if name := RegionName(r.Region); name != "" {
		region += " " + name
	}
	if r.Kind == KindResidentID {
		// Birth date and sex are personal information; a reason string ends
		// up in logs and screens, so it carries only what a USCC would.
		return "居民身份证 resident ID · " + region
	}
	return r.AuthorityName + " · " + r.EntityTypeName + " · " + region
}

// codeChars is the GB 32100 code character set in value order: the 31
// characters 0–9 and A–Z without I, O, Z, S, V (dropped because they are
// easily confused with 1, 0, 2, 5, U).
const codeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// codeValue maps an ASCII byte to its GB 32100 value, or -1 when it is not a
// code character. A table keeps the hot path free of searches.
var codeValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(codeChars); i++ {
		t[codeChars[i]] = int8(i)
	}
	return t
}()

// usccWeights are 3^(i−1) mod 31 for positions 1–17. Every weight is
// non-zero modulo the prime 31, which is why any single substitution is
// detected.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights for the eight body characters.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// orgValue gives the GB 11714 value of 0–9 (0–9) and A–Z (10–35), or -1.
// GB 11714 allows all 26 letters, unlike GB 32100.
func orgValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// usccCheckChar computes the GB 32100 check character over the first 17
// bytes. ok is false when one of them is not a code character, because then
// there is no defined checksum to compare against.
func usccCheckChar(s string) (c byte, ok bool) {
	sum := 0
	for i := 0; i < 17; i++ {
		v := codeValue[s[i]]
		if v < 0 {
			return 0, false
		}
		sum += int(v) * usccWeights[i]
	}
	// 31 − 0 = 31 has no character; the standard maps it to '0'. Taking the
	// result mod 31 does exactly that and cannot be forgotten in a branch.
	return codeChars[(31-sum%31)%31], true
}

// orgCheckChar computes the GB 11714 check character over the eight body
// characters of an organisation code.
func orgCheckChar(body string) (c byte, ok bool) {
	sum := 0
	for i := 0; i < 8; i++ {
		v := orgValue(body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * orgWeights[i]
	}
	switch d := 11 - sum%11; d {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + d), true
	}
}

// authority describes one registration authority and its entity types.
type authority struct {
	name  string
	types map[byte]string
}

// authorities is the GB 32100 table of registration authorities (position 1)
// and entity types (position 2), as listed in rules.md §1.
var authorities = map[byte]authority{
	'1': {"机构编制", map[byte]string{'1': "机关", '2': "事业单位", '3': "群众团体", '9': "其他"}},
	'2': {"外交", map[byte]string{'1': "外国常驻新闻机构", '9': "其他"}},
	'3': {"司法行政", map[byte]string{'1': "律师执业机构", '2': "公证处", '3': "基层法律服务所", '4': "司法鉴定机构", '5': "仲裁委员会", '9': "其他"}},
	'4': {"文化", map[byte]string{'1': "外国在华文化中心", '9': "其他"}},
	'5': {"民政", map[byte]string{'1': "社会团体", '2': "民办非企业单位", '3': "基金会", '9': "其他"}},
	'6': {"旅游", map[byte]string{'1': "外国旅游部门常驻代表机构", '2': "港澳台地区旅游部门常驻代表机构", '9': "其他"}},
	'7': {"宗教", map[byte]string{'1': "宗教活动场所", '2': "宗教院校", '9': "其他"}},
	'8': {"工会", map[byte]string{'1': "基层工会", '9': "其他"}},
	'9': {"工商/市场监管", map[byte]string{'1': "企业", '2': "个体工商户", '3': "农民专业合作社"}},
	'A': {"中央军委改革和编制办公室", map[byte]string{'1': "军队事业单位", '9': "其他"}},
	'N': {"农业", map[byte]string{'1': "组级", '2': "村级", '3': "乡镇级", '9': "其他"}},
	'Y': {"其他", map[byte]string{'1': "其他"}},
}

// AuthorityName returns the name of registration authority a (position 1),
// or "" when GB 32100 defines none.
func AuthorityName(a byte) string { return authorities[a].name }

// EntityTypeName returns the name of entity type t under authority a, or ""
// when that pair is not defined.
func EntityTypeName(a, t byte) string { return authorities[a].types[t] }

// normalise trims surrounding white space (including the ideographic space
// U+3000 that pasted Chinese text carries) and upper-cases, because
// departments send codes in either case and with stray blanks.
func normalise(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

// isPlaceholder reports a code made of one repeated character in its first
// 17 positions (00000000000000000X, 111111111111111111, …), or of one
// repeated character throughout when it is not 18 long (e.g. 000000000).
// Such values are fillers that department systems put in a mandatory field;
// no issued code looks like that.
func isPlaceholder(s string) bool {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	i := 0
	for _, r := range s {
		if n == 18 && i == 17 {
			break
		}
		if r != first {
			return false
		}
		i++
	}
	return true
}

func placeholderProblem(code string) Problem {
	return Problem{
		Kind: ProblemPlaceholder,
		Got:  code,
		Msg: fmt.Sprintf("placeholder code %s is not a real code: the reporting department must send the subject's real code "+
			"(占位代码，请报送单位提供真实代码)", show(code)),
		MsgZh: fmt.Sprintf("%s是占位代码，不是真实代码：请报送单位提供该主体的真实代码", show(code)),
	}
}

// maxCharProblems caps the char problems listed for one input. A code has
// 18 positions; past that the input is not a code at all (a pasted address,
// a whole row) and listing every character would cost time and memory for
// no benefit to the department reading the report.
const maxCharProblems = 18

// charProblems reports the characters of s that are not allowed by ok, up to
// maxCharProblems, with 1-based rune positions so that the message matches
// what a person counts on screen even when the input holds Chinese
// characters.
func charProblems(ps []Problem, s string, ok func(pos int, r rune) bool, what func(pos int, r rune) (en, zh string)) []Problem {
	pos, found := 0, 0
	for _, r := range s {
		pos++
		if !ok(pos, r) {
			if found++; found > maxCharProblems {
				break
			}
			en, zh := what(pos, r)
			ps = append(ps, Problem{
				Kind:  ProblemChar,
				Pos:   pos,
				Got:   string(r),
				Msg:   fmt.Sprintf("bad character %q at position %d: want %s", r, pos, en),
				MsgZh: fmt.Sprintf("第%d位字符“%s”不符合要求：应为%s", pos, show(string(r)), zh),
			})
		}
	}
	return ps
}

// maxShown bounds how much of the input a message repeats: enough for any
// code, short enough that a pasted paragraph cannot bloat a report.
const maxShown = 40

// show returns s for a message: cut to maxShown runes, and quoted when it
// holds a non-printable rune, so that a message built from input can never
// break the one-line Reason.
func show(s string) string {
	if utf8.RuneCountInString(s) > maxShown {
		s = string([]rune(s)[:maxShown]) + "…"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func isCodeChar(r rune) bool { return r < utf8.RuneSelf && codeValue[byte(r)] >= 0 }

func usccCharOK(_ int, r rune) bool { return isCodeChar(r) }

func usccCharWant(pos int, r rune) (en, zh string) {
	if pos >= 9 && pos <= 17 && r >= 'A' && r <= 'Z' {
		// GB 11714 allows I, O, Z, S, V in an organisation code, but the
		// GB 32100 check has no value for them, so they cannot appear in a
		// USCC; say why, as departments do paste old organisation codes.
		return "0-9 or A-Z except I, O, S, V, Z (letters allowed in an organisation code but not in a USCC)",
			"数字0-9或除I、O、S、V、Z以外的大写字母（组织机构代码可用这几个字母，统一社会信用代码不可用）"
	}
	return "0-9 or A-Z except I, O, S, V, Z", "数字0-9或除I、O、S、V、Z以外的大写字母"
}

// checkUSCC validates a normalised code without consulting any allow-list.
func checkUSCC(code string) Result {
	r := Result{Code: code, Kind: KindUSCC, Status: Invalid}
	var ps []Problem
	if isPlaceholder(code) {
		ps = append(ps, placeholderProblem(code))
	}
	if n := utf8.RuneCountInString(code); n != 18 {
		ps = append(ps, lengthProblem(code, n, lengthHintUSCC))
		// Positions mean nothing in a code of the wrong length, but bad
		// characters are still worth naming (a stray '-' from an
		// organisation code, a full-width digit).
		r.Problems = charProblems(ps, code, usccCharOK, usccCharWant)
		return r
	}
	if len(code) != 18 {
		// 18 runes but more than 18 bytes: some character is non-ASCII and
		// therefore wrong; the byte-indexed checks below cannot run.
		r.Problems = charProblems(ps, code, usccCharOK, usccCharWant)
		return r
	}
	ps = charProblems(ps, code, usccCharOK, usccCharWant)

	a, t := code[0], code[1]
	r.Authority, r.EntityType = code[0:1], code[1:2]
	r.Region, r.OrgCode = code[2:8], code[8:17]
	// An authority or type outside the code set already has a char
	// problem; saying it is also unknown would only repeat it.
	if auth, ok := authorities[a]; ok {
		r.AuthorityName = auth.name
		if name, ok := auth.types[t]; ok {
			r.EntityTypeName = name
		} else if codeValue[t] >= 0 {
			ps = append(ps, Problem{
				Kind: ProblemType, Pos: 2, Got: string(t),
				Msg:   fmt.Sprintf("unknown entity type %q at position 2 for registration authority %c (%s)", t, a, auth.name),
				MsgZh: fmt.Sprintf("第2位机构类别代码“%c”不是登记管理部门%c（%s）的机构类别", t, a, auth.name),
			})
		}
	} else if codeValue[a] >= 0 {
		ps = append(ps, Problem{
			Kind: ProblemAuthority, Pos: 1, Got: string(a),
			Msg:   fmt.Sprintf("unknown registration authority %q at position 1", a),
			MsgZh: fmt.Sprintf("第1位登记管理部门代码“%c”不存在", a),
		})
	}

	if !allDigits(r.Region) {
		ps = append(ps, Problem{
			Kind: ProblemRegion, Pos: 3, Got: r.Region,
			Msg:   fmt.Sprintf("region code at positions 3-8 must be 6 digits, got %s", show(r.Region)),
			MsgZh: fmt.Sprintf("第3至8位登记管理机关行政区划码应为6位数字，实为%s", show(r.Region)),
		})
	}

	if want, ok := orgCheckChar(code[8:16]); ok && code[16] != want {
		ps = append(ps, Problem{
			Kind: ProblemOrgCodeCheck, Pos: 17, Got: code[16:17], Want: string(want),
			Msg:   fmt.Sprintf("wrong organisation code check digit at position 17: got %s, want %c", show(code[16:17]), want),
			MsgZh: fmt.Sprintf("第17位组织机构代码校验码错误：实为%s，应为%c", show(code[16:17]), want),
		})
	}

	if want, ok := usccCheckChar(code); ok && code[17] != want {
		ps = append(ps, Problem{
			Kind: ProblemCheck, Pos: 18, Got: code[17:18], Want: string(want),
			Msg:   fmt.Sprintf("wrong check character at position 18: got %s, want %c", show(code[17:18]), want),
			MsgZh: fmt.Sprintf("第18位校验码错误：实为%s，应为%c", show(code[17:18]), want),
		})
	}

	r.Problems = ps
	if len(ps) == 0 {
		r.Status = Valid
	}
	return r
}

type lengthHint func(code string, n int) (en, zh string)

func lengthHintUSCC(code string, n int) (en, zh string) {
	switch {
	case n == 0:
		return "; the field is empty", "，该项为空"
	case n == 15 && allDigits(code):
		return "; this looks like a 15-digit business registration number (工商注册号), not a USCC", "，像是15位工商注册号，不是统一社会信用代码"
	case n == 10 && code[8] == '-', n == 9:
		return "; this looks like an organisation code (组织机构代码), not a USCC", "，像是组织机构代码，不是统一社会信用代码"
	}
	return "", ""
}

func lengthProblem(code string, n int, hint lengthHint) Problem {
	en, zh := hint(code, n)
	return Problem{
		Kind: ProblemLength, Got: strconv.Itoa(n), Want: "18",
		Msg:   fmt.Sprintf("wrong length: got %d characters, want 18%s", n, en),
		MsgZh: fmt.Sprintf("长度错误：共%d位，应为18位%s", n, zh),
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CheckUSCC validates a unified social credit code using the embedded legacy
// allow-list. See Checker.CheckUSCC.
func CheckUSCC(code string) Result { return defaultChecker.CheckUSCC(code) }
