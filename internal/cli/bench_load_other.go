//go:build !linux

package cli

import "time"

// openLoop is the generator the check-load child runs: the goroutine one
// where openLoopEpoll (Linux) is not built.
var openLoop = openLoopGoroutines

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }

// pidCPU, pidFaults and selfFaults are not measured here.
func pidCPU(int) time.Duration { return 0 }
func pidFaults(int) int64      { return 0 }
func selfFaults() int64        { return 0 }

// machineTicks is not read here.
func machineTicks() (total, steal int64, ok bool) { return 0, 0, false }
