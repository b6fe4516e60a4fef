package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// openLoop is the generator the check-load child runs.
var openLoop = openLoopEpoll

// epConn is one keep-alive connection of openLoopEpoll.
type epConn struct {
	fd  int
	in  []byte // bytes of the response being read
	cur int    // the request outstanding on it, or -1
}

// openLoopEpoll drives loadConns non-blocking connections from one locked
// OS thread: epoll for the sockets and a timerfd for the next due time, so
// no Go scheduler or runtime timer sits between a due time and the write.
// golang.org/x/sys/unix (already in the module graph through modernc.org's
// SQLite) gives the epoll and timerfd calls the syscall package lacks.
func openLoopEpoll(ctx context.Context, addr string, reqs [][]byte, rate int, d time.Duration) (LoadResult, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sa, err := sockaddr(addr)
	if err != nil {
		return LoadResult{}, err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load: epoll: %w", err)
	}
	defer unix.Close(ep)
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load: timerfd: %w", err)
	}
	defer unix.Close(tfd)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, tfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(tfd)}); err != nil {
		return LoadResult{}, fmt.Errorf("load: epoll: %w", err)
	}
	conns := make(map[int32]*epConn, loadConns)
	defer func() {
		for _, c := range conns {
			unix.Close(c.fd)
		}
	}()
	var free []*epConn
	open := func(warm []byte) (*epConn, error) {
		c, err := dialEpoll(ep, sa, warm)
		if err != nil {
			return nil, err
		}
		conns[int32(c.fd)] = c
		return c, nil
	}
	for w := 0; w < loadConns; w++ {
		c, err := open(reqs[w%len(reqs)])
		if err != nil {
			return LoadResult{}, err
		}
		free = append(free, c)
	}

	total := int(d.Seconds() * float64(rate))
	lat := make([]time.Duration, total)
	lag := make([]time.Duration, total)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	due := func(i int) time.Time { return start.Add(time.Duration(i) * interval) }
	next, done, errs := 0, 0, 0
	arm := func() error {
		if next >= total {
			return nil
		}
		wait := max(time.Until(due(next)), time.Microsecond) // 0 would disarm the timer
		return unix.TimerfdSettime(tfd, 0, &unix.ItimerSpec{Value: unix.NsecToTimespec(int64(wait))}, nil)
	}
	send := func() error {
		now := time.Now()
		for next < total && len(free) > 0 && !due(next).After(now) {
			c := free[len(free)-1]
			free = free[:len(free)-1]
			c.cur = next
			lag[next] = now.Sub(due(next))
			req := reqs[next%len(reqs)]
			if n, err := unix.Write(c.fd, req); err != nil || n != len(req) {
				// An idle keep-alive socket has an empty send buffer, so a
				// short write means the connection is broken.
				return fmt.Errorf("load: write: %d of %d bytes: %v", n, len(req), err)
			}
			next++
		}
		return arm()
	}
	if err := arm(); err != nil {
		return LoadResult{}, fmt.Errorf("load: timerfd: %w", err)
	}
	events := make([]unix.EpollEvent, loadConns+1)
	buf := make([]byte, 64<<10)
	giveUp := start.Add(d + 30*time.Second)
	for done < total {
		if err := ctx.Err(); err != nil {
			return LoadResult{}, err
		}
		if time.Now().After(giveUp) {
			return LoadResult{}, fmt.Errorf("load: %d of %d requests unanswered 30 s after the last was due", total-done, total)
		}
		n, err := unix.EpollWait(ep, events, 100)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return LoadResult{}, fmt.Errorf("load: epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(tfd) {
				var b [8]byte
				_, _ = unix.Read(tfd, b[:]) // expirations count; only the wake-up matters
				continue
			}
			c := conns[ev.Fd]
			closed, err := c.fill(buf)
			if err != nil {
				return LoadResult{}, err
			}
			for {
				resp, ok, err := parseResponse(c.in)
				if err != nil {
					return LoadResult{}, fmt.Errorf("load: %w", err)
				}
				if !ok {
					break
				}
				if c.cur < 0 {
					return LoadResult{}, errors.New("load: a response arrived with no request outstanding")
				}
				lat[c.cur] = time.Since(due(c.cur))
				if resp.Status != 200 {
					errs++
				}
				done++
				c.cur = -1
				c.in = c.in[:copy(c.in, c.in[resp.Len:])]
				if resp.Close {
					closed = true
				}
				if !closed {
					free = append(free, c)
				}
			}
			if closed {
				// The server closed the connection (after an error answer,
				// say): an unanswered request on it failed; reconnect.
				if c.cur >= 0 {
					lat[c.cur] = time.Since(due(c.cur))
					errs++
					done++
				} else if i := slices.Index(free, c); i >= 0 {
					// Closed while idle: never hand it out again (its fd
					// number is about to be reused).
					free = slices.Delete(free, i, i+1)
				}
				delete(conns, ev.Fd)
				unix.Close(c.fd)
				nc, err := open(reqs[0])
				if err != nil {
					return LoadResult{}, err
				}
				free = append(free, nc)
			}
		}
		if err := send(); err != nil {
			return LoadResult{}, err
		}
	}
	var r LoadResult
	r.summarise(start, lat, lag, time.Since(start))
	r.Errors = errs
	return r, nil
}

// fill reads what the socket has; closed reports end of stream.
func (c *epConn) fill(buf []byte) (closed bool, err error) {
	for {
		n, err := unix.Read(c.fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECONNRESET):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("load: read: %w", err)
		case n == 0:
			return true, nil
		}
		c.in = append(c.in, buf[:n]...)
	}
}

func sockaddr(addr string) (*unix.SockaddrInet4, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	ip4 := ta.IP.To4()
	if ip4 == nil {
		return nil, fmt.Errorf("load: an IPv4 address is needed, not %s", addr)
	}
	sa := &unix.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ip4)
	return sa, nil
}

// dialEpoll connects, sends warm (one request, answered before timing
// starts, so the server's connection set-up is not measured), then makes
// the socket non-blocking and adds it to ep. A server may close any
// connection after an answer; a few attempts get one it keeps open.
func dialEpoll(ep int, sa *unix.SockaddrInet4, warm []byte) (*epConn, error) {
	for attempt := 0; ; attempt++ {
		c, err := dialEpollOnce(ep, sa, warm)
		if !errors.Is(err, errClosing) || attempt == 2 {
			return c, err
		}
	}
}

var errClosing = errors.New("the server closes every connection after one request")

func dialEpollOnce(ep int, sa *unix.SockaddrInet4, warm []byte) (*epConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("load: socket: %w", err)
	}
	c := &epConn{fd: fd, cur: -1, in: make([]byte, 0, 8<<10)}
	fail := func(err error) (*epConn, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := unix.Connect(fd, sa); err != nil {
		return fail(err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail(err)
	}
	if _, err := unix.Write(fd, warm); err != nil {
		return fail(err)
	}
	buf := make([]byte, 8<<10)
	for {
		resp, ok, err := parseResponse(c.in)
		if err != nil {
			return fail(err)
		}
		if ok {
			if resp.Close {
				return fail(errClosing)
			}
			c.in = c.in[:copy(c.in, c.in[resp.Len:])]
			break
		}
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return fail(fmt.Errorf("warm-up request unanswered: %v", err))
		}
		c.in = append(c.in, buf[:n]...)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return fail(err)
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		return fail(err)
	}
	return c, nil
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidCPU is the CPU time (user and system, all threads) process pid has
// used, from /proc/PID/stat (fields 14 and 15, in USER_HZ ticks, which
// Linux fixes at 100 a second for user space), or 0.
func pidCPU(pid int) time.Duration {
	f := procStat(pid)
	if f == nil {
		return 0
	}
	return time.Duration(f[13]+f[14]) * (time.Second / 100)
}

// pidFaults is the minor page faults process pid has taken (field 10 of
// /proc/PID/stat: first touches of memory, each a trip into the kernel),
// or 0.
func pidFaults(pid int) int64 {
	f := procStat(pid)
	if f == nil {
		return 0
	}
	return f[9]
}

// selfFaults is pidFaults for this process.
func selfFaults() int64 { return pidFaults(os.Getpid()) }

// procStat reads the numeric fields of /proc/PID/stat, indexed from 0
// (field 1 is index 0; the command name, field 2, and the state, field 3,
// read as 0), or nil.
func procStat(pid int) []int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	rest := strings.Fields(string(b[i+1:])) // rest[0] is field 3
	if len(rest) < 13 {
		return nil
	}
	out := make([]int64, 3, 3+len(rest))
	for _, v := range rest[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		out = append(out, n)
	}
	return out
}

// machineTicks reads the first line of /proc/stat: the ticks all
// processors spent in every state, and of them the ticks the hypervisor
// gave to other guests (steal, the eighth field); ok is false where it
// cannot be read. Two readings bracket a run: a virtual machine whose host
// is busy loses whole milliseconds to steal, which no server on it can
// answer within.
func machineTicks() (total, steal int64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		// guest and guest_nice (fields 9 and 10) are already counted in
		// user and nice.
		if i < 8 {
			total += n
		}
		if i == 7 {
			steal = n
		}
	}
	return total, steal, true
}
