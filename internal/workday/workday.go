// Package workday counts working days for statutory deadlines (双公示 within
// 7 working days, objection and repair deadlines).
//
// For now the calendar is WEEKENDS ONLY: Saturday and Sunday are off, every
// other day is a working day. Chinese public holidays and the adjusted
// working weekends (调休) published each autumn by the State Council are NOT
// yet known to this package (rules.md §4). A holiday calendar shipped as data
// will replace the body of Add and Between; their signatures and meaning stay.
// Dates are calendar days in China time (UTC+8), whatever the time of day.
package workday

import "time"

// Location is China Standard Time; a day's working status is decided there.
var Location = time.FixedZone("CST", 8*60*60)

// IsWorkday reports whether t falls on a working day (weekend-only calendar).
func IsWorkday(t time.Time) bool {
	switch t.In(Location).Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return true
}

func day(t time.Time) time.Time {
	y, m, d := t.In(Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Location)
}

// Add returns midnight (China time) of the n-th working day after the day of
// from; n = 0 returns that day itself, and a negative n counts backwards.
// Weekend-only calendar: see the package comment.
func Add(from time.Time, n int) time.Time {
	d := day(from)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if IsWorkday(d) {
			n--
		}
	}
	return d
}

// Between returns how many working days lie after the day of a up to and
// including the day of b: 0 when b is on the same day as a, 1 from a Friday
// to the next Monday, negative when b is before a. Weekend-only calendar:
// see the package comment.
func Between(a, b time.Time) int {
	da, db := day(a), day(b)
	sign := 1
	if db.Before(da) {
		da, db, sign = db, da, -1
	}
	days := int(db.Sub(da).Hours()+12) / 24 // DST-free zone; +12 guards rounding
	weeks, rest := days/7, days%7
	n := weeks * 5
	d := da
	for i := 0; i < rest; i++ {
		d = d.AddDate(0, 0, 1)
		if IsWorkday(d) {
			n++
		}
	}
	return sign * n
}
