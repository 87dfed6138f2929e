package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	got := renderCopy(12, 69, 10234, 3<<20, 1000, 3000, 2*time.Second)
	if want := "data step  12/69 tables  10234 rows  3.0 MiB  1.5 MiB/s  ~4 s left"; got != want {
		t.Errorf("renderCopy = %q; want %q", got, want)
	}
	long := &stepStart{"public.payment.payment_pkey", time.Now().Add(-1500 * time.Millisecond)}
	got = renderSteps("post-sync", 100, 400, long, 10*time.Second)
	if want := "post-sync  100/400 steps  longest running: public.payment.payment_pkey (1.5 s)  ~30 s left"; got != want {
		t.Errorf("renderSteps = %q; want %q", got, want)
	}
	if got := renderSteps("pre-sync", 0, 0, nil, time.Second); got != "pre-sync  0/0 steps" {
		t.Errorf("renderSteps with nothing known = %q", got)
	}
}

// Not a terminal: log lines only, never a carriage return or an escape sequence.
func TestNoLiveLineWhenNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	c := newConsole(f, true)
	if c.live {
		t.Fatal("a regular file was taken for a terminal")
	}
	p := c.stepProgress("post-sync")
	p(nil)
	c.logf("a log line")
	c.clear()
	out, _ := os.ReadFile(f.Name())
	if bytes.ContainsAny(out, "\r\033") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("output %q", out)
	}
}
