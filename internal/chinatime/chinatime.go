// Package chinatime is the one definition of China Standard Time (UTC+8),
// in which every business date of the platform is counted: decision dates,
// publication windows, deadlines (which end at 24:00 China time) and the
// dates printed on documents. China has kept no daylight saving time since
// 1991, so a fixed zone needs no tzdata on the host.
package chinatime

import "time"

// Location is China Standard Time.
var Location = time.FixedZone("CST", 8*3600)

// Date returns t's calendar date in China time, at midnight China time.
func Date(t time.Time) time.Time {
	t = t.In(Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Location)
}

// EndOfDay is the instant t's China-time date ends (24:00 China time, the
// next midnight): the exclusive end of a deadline that falls on that date.
func EndOfDay(t time.Time) time.Time { return Date(t).AddDate(0, 0, 1) }

// Format gives t's China-time date as YYYY-MM-DD.
func Format(t time.Time) string { return t.In(Location).Format(time.DateOnly) }
