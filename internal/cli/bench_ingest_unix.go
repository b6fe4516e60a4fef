//go:build unix

package cli

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// processUsage returns the CPU time (user and system) and peak RSS, in
// bytes, of a finished child process.
func processUsage(ps *os.ProcessState) (time.Duration, int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return ps.UserTime() + ps.SystemTime(), 0
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		rss <<= 10 // KiB elsewhere, bytes on macOS
	}
	return ps.UserTime() + ps.SystemTime(), rss
}
