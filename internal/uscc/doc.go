// Package uscc validates and decodes the identifiers that key credit
// subjects:
//
//   - the unified social credit code (统一社会信用代码, GB 32100-2015), 18
//     characters whose positions 9–17 are the organisation code (组织机构代码,
//     GB 11714) with its own check digit;
//   - the resident identity card number (居民身份证号码, GB 11643-1999).
//
// Validation never stops at the first fault: a Result lists every Problem it
// found, each with a stable ProblemKind, so that reports to the reporting
// department (报送单位) can say everything that is wrong in one round trip.
//
// A Result has one of three statuses. Valid and Invalid are what they say.
// Flagged exists because some codes legitimately issued before GB 32100 took
// full effect (e.g. in Xiamen before 2016) fail their check character; the
// rules (rules.md §1) make such a failure a data-quality flag counted in the
// 重错码率 indicator, not a reason to drop the record. Only codes on an
// explicit allow-list (see Legacy and legacy.txt) are flagged; everything else
// that fails is Invalid.
//
// The package-level functions use the embedded allow-list and the wall
// clock. A Checker lets an administrator supply a different list and tests
// supply a fixed clock.
package uscc
