//go:build !unix

package cli

import (
	"os"
	"time"
)

// processUsage returns the CPU time of a finished child process; its peak
// RSS is not known here.
func processUsage(ps *os.ProcessState) (time.Duration, int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}
