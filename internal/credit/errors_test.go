package credit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// zhErr says itself in Chinese through a method of its own.
type zhErr struct{}

func (zhErr) Error() string   { return "no calendar" }
func (zhErr) Chinese() string { return "没有日历" }

func TestSay(t *testing.T) {
	inner := credit.Say("inner", credit.Conflict, "事项%s已办结", "case %s is closed", "C1")
	tests := []struct {
		name   string
		err    error
		kind   credit.Kind
		zh, en string
	}{
		{"plain", credit.Say("op", credit.Invalid, "请填写%s", "give the %s", "x"), credit.Invalid, "请填写x", "op: give the x"},
		{"by index", credit.Say("op", credit.Invalid, "%[3]s不在目录中", "%[1]s is not in catalogue %[2]s", "d", "v1", "部门d"),
			credit.Invalid, "部门d不在目录中", "op: d is not in catalogue v1"},
		{"an error arg in Chinese", credit.Say("op", credit.Invalid, "读取失败：%v", "read: %v", inner), credit.Invalid,
			"读取失败：事项C1已办结", "op: read: inner: case C1 is closed"},
		{"an error arg with a Chinese method", credit.Say("op", credit.Conflict, "无法计算：%v", "cannot: %v", zhErr{}), credit.Conflict,
			"无法计算：没有日历", "op: cannot: no calendar"},
		{"an error arg without Chinese", credit.Say("op", credit.Invalid, "读取失败：%v", "read: %v", errors.New("EOF")), credit.Invalid,
			"读取失败：EOF", "op: read: EOF"},
		{"wrapped", credit.Wrap("outer", credit.Other, inner), credit.Conflict, "事项C1已办结", "outer: inner: case C1 is closed"},
		{"wrapped by fmt", fmt.Errorf("x: %w", zhErr{}), credit.Other, "没有日历", "x: no calendar"},
		{"none", credit.E("op", credit.Invalid, "bad"), credit.Invalid, "", "op: bad"},
	}
	for _, tc := range tests {
		if got := credit.KindOf(tc.err); got != tc.kind {
			t.Errorf("%s: kind %s, want %s", tc.name, got, tc.kind)
		}
		if got := credit.Chinese(tc.err); got != tc.zh {
			t.Errorf("%s: Chinese %q, want %q", tc.name, got, tc.zh)
		}
		if got := tc.err.Error(); got != tc.en {
			t.Errorf("%s: Error %q, want %q", tc.name, got, tc.en)
		}
	}
}
