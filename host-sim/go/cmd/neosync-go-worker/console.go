package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	pb "neosync-schema-plugin/pluginv1"
)

// console writes log lines to stderr and, on a terminal, one live progress line under them that
// log lines never interleave with. Not a terminal (or -json): log lines only, as the C host does.
type console struct {
	mu     sync.Mutex
	w      io.Writer
	live   bool
	width  int
	shown  bool
	render func() string // the live line's content; nil = none
	stop   chan struct{}
	done   chan struct{}
}

func newConsole(f *os.File, wantLive bool) *console {
	c := &console{w: f, width: 120}
	if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil && wantLive {
		c.live = true
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			c.width = int(ws.Col)
		}
	}
	return c
}

func (c *console) logf(format string, args ...interface{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
	fmt.Fprintf(c.w, "%s INFO [worker] %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, args...))
	c.drawLocked()
}

// start shows render()'s line, redrawn 4 times a second (durations grow between events).
func (c *console) start(render func() string) {
	if !c.live {
		return
	}
	c.stopLine()
	c.mu.Lock()
	c.render, c.stop, c.done = render, make(chan struct{}), make(chan struct{})
	stop, done := c.stop, c.done
	c.drawLocked()
	c.mu.Unlock()
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				c.mu.Lock()
				c.drawLocked()
				c.mu.Unlock()
			}
		}
	}()
}

// stopLine ends the live line (its last state stays as a permanent line).
func (c *console) stopLine() {
	c.mu.Lock()
	stop, done, render := c.stop, c.done, c.render
	c.stop, c.render = nil, nil
	if render != nil && c.live {
		c.clearLocked()
		fmt.Fprintln(c.w, fit(render(), c.width))
	}
	c.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (c *console) clear() {
	c.stopLine()
	c.mu.Lock()
	c.clearLocked()
	c.mu.Unlock()
}

func (c *console) clearLocked() {
	if c.shown {
		fmt.Fprint(c.w, "\r\033[K")
		c.shown = false
	}
}

func (c *console) drawLocked() {
	if c.live && c.render != nil {
		fmt.Fprint(c.w, "\r\033[K"+fit(c.render(), c.width-1))
		c.shown = true
	}
}

func fit(s string, width int) string {
	if r := []rune(s); width > 10 && len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}

// stepProgress follows a hook's progress events: steps done / total, the step running longest,
// and the time left at the rate so far.
func (c *console) stepProgress(phase string) func(*pb.ProgressEvent) {
	var mu sync.Mutex
	var done, total uint32
	running := map[uint32]stepStart{}
	started := time.Now()
	c.start(func() string {
		mu.Lock()
		defer mu.Unlock()
		return renderSteps(phase, done, total, longest(running), time.Since(started))
	})
	return func(ev *pb.ProgressEvent) {
		mu.Lock()
		done, total = ev.GetDone(), ev.GetTotal()
		if ev.GetStatus() == pb.StepStatus_STEP_STATUS_UNSPECIFIED {
			running[ev.GetStepId()] = stepStart{ev.GetIdentity(), time.Now()}
		} else {
			delete(running, ev.GetStepId())
		}
		mu.Unlock()
	}
}

type stepStart struct {
	identity string
	at       time.Time
}

func longest(running map[uint32]stepStart) *stepStart {
	var l *stepStart
	for _, s := range running {
		s := s
		if l == nil || s.at.Before(l.at) {
			l = &s
		}
	}
	return l
}

func renderSteps(phase string, done, total uint32, long *stepStart, elapsed time.Duration) string {
	line := fmt.Sprintf("%s  %d/%d steps", phase, done, total)
	if long != nil {
		line += fmt.Sprintf("  longest running: %s (%.1f s)", long.identity, time.Since(long.at).Seconds())
	}
	if done > 0 && total > done {
		line += timeLeft(time.Duration(float64(elapsed) / float64(done) * float64(total-done)))
	}
	return line
}

// copyProgress is the data step's live state: bytes and rows streamed, tables finished.
type copyProgress struct {
	bytes, rows          int64 // atomic
	mu                   sync.Mutex
	tables, done         int
	sizeTotal, sizeDone  int64
	started              time.Time
	c                    *console
}

func (c *console) copyProgress(tables []*tableResult) *copyProgress {
	p := &copyProgress{tables: len(tables), started: time.Now(), c: c}
	for _, t := range tables {
		p.sizeTotal += t.size
	}
	c.start(p.render)
	return p
}

func (p *copyProgress) add(bytes, rows int64) {
	atomic.AddInt64(&p.bytes, bytes)
	atomic.AddInt64(&p.rows, rows)
}

func (p *copyProgress) tableDone(t *tableResult) {
	p.mu.Lock()
	p.done++
	p.sizeDone += t.size
	p.mu.Unlock()
	if t.err != "" {
		p.c.logf("data step: %s.%s FAILED: %s", t.schema, t.name, t.err)
	}
}

func (p *copyProgress) finish() { p.c.stopLine() }

func (p *copyProgress) render() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return renderCopy(p.done, p.tables, atomic.LoadInt64(&p.rows), atomic.LoadInt64(&p.bytes),
		p.sizeDone, p.sizeTotal, time.Since(p.started))
}

// renderCopy: "data step  12/69 tables  10234 rows  1.2 MiB  850.3 KiB/s  ~2 s left". The time
// left is estimated from the share of the source's table sizes already copied.
func renderCopy(done, tables int, rows, bytes, sizeDone, sizeTotal int64, elapsed time.Duration) string {
	line := fmt.Sprintf("data step  %d/%d tables  %d rows  %s", done, tables, rows, humanBytes(float64(bytes)))
	if s := elapsed.Seconds(); s > 0 {
		line += "  " + humanBytes(float64(bytes)/s) + "/s"
	}
	if sizeDone > 0 && sizeTotal > sizeDone {
		line += timeLeft(time.Duration(float64(elapsed) * float64(sizeTotal-sizeDone) / float64(sizeDone)))
	}
	return line
}

// timeLeft: "  ~12 s left", "  ~3 min 4 s left"; nothing under a second (it says nothing).
func timeLeft(d time.Duration) string {
	s := int(d.Seconds() + 0.5)
	switch {
	case s < 1:
		return ""
	case s < 60:
		return fmt.Sprintf("  ~%d s left", s)
	}
	return fmt.Sprintf("  ~%d min %d s left", s/60, s%60)
}

func humanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
