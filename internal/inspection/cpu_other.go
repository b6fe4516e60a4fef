//go:build !unix

package inspection

import "time"

// cpuTime is not read on this system.
func cpuTime() time.Duration { return 0 }
