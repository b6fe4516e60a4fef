package cli

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestProcStat reads this process's and a child's CPU time and page
// faults from /proc the way the bench reads its servers'.
func TestProcStat(t *testing.T) {
	f0, c0 := selfFaults(), pidCPU(os.Getpid())
	// Touch fresh memory and burn CPU until both counters move.
	var keep [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for pidCPU(os.Getpid()) <= c0 && time.Now().Before(deadline) {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep[:0], b)
	}
	if got := pidCPU(os.Getpid()); got <= c0 {
		t.Errorf("CPU time did not advance: %s then %s", c0, got)
	}
	if got := selfFaults(); got <= f0 {
		t.Errorf("page faults did not advance: %d then %d", f0, got)
	}
	// A child (a name with a space and a parenthesis, which /proc puts in
	// parentheses) is read by its PID.
	dir := t.TempDir()
	exe := dir + "/sl eep)"
	if err := os.Symlink("/bin/sleep", exe); err != nil {
		t.Skip("no /bin/sleep:", err)
	}
	cmd := exec.Command(exe, "5")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start sleep:", err)
	}
	defer cmd.Process.Kill()
	time.Sleep(50 * time.Millisecond)
	if f := procStat(cmd.Process.Pid); f == nil || pidFaults(cmd.Process.Pid) <= 0 {
		t.Errorf("child's stat unreadable or without faults: %v", f)
	}
	if procStat(-1) != nil {
		t.Error("stat of no process read as something")
	}
}
