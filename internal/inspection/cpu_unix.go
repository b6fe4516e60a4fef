//go:build unix

package inspection

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far (0 where it
// cannot be read): on a loaded machine it says what a step cost when the
// wall clock says how long it waited.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
