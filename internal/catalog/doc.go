// Package catalog holds the public credit information catalogue
// (公共信用信息目录): the information items a credit record may be made of,
// the list types (名单), the measure list (措施清单), the matters (事项) that
// measures apply to, and the per-domain severity and publication rules.
//
// All of it is data, not code (DESIGN.md, principle 4): versioned JSON files
// embedded in the binary from data/, which an administrator may replace file
// by file from a directory (Load). Every file is decoded strictly, so a typo
// in a field name is an error, and the whole catalogue is checked on load:
// nothing may be used that lacks a legal basis, and references between
// files must resolve. A loaded *Catalog is immutable and safe for concurrent
// use; callers must not modify it.
//
// Dates are calendar dates in China Standard Time (UTC+8): ParseDate returns
// midnight of that day in Location, and publication windows end at an
// exclusive midnight.
package catalog
