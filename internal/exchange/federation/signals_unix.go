//go:build unix

package federation

import (
	"os"
	"syscall"
)

func pause(p *os.Process) error  { return p.Signal(syscall.SIGSTOP) }
func resume(p *os.Process) error { return p.Signal(syscall.SIGCONT) }

// terminate asks the process to end (SIGTERM): serve shuts down cleanly.
func terminate(p *os.Process) { _ = p.Signal(syscall.SIGTERM) } // a process already gone has nothing to end
