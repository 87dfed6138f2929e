// Command neosync-go-worker is the reference Go worker: what a Neosync sync activity does with
// the schema plugin. It reads the host simulator's job config (JSON of neosync.plugin.v1.JobConfig),
// and for the job's hooks, which name a plugin host (plugin.address, or -remote for all):
//
//  1. pre-sync through the Go client: the destination gets bare tables, the response the plan;
//  2. the data step itself, with pgx: COPY from the source into the destination, tables in
//     parallel (hydration.parallelism, default 2), largest first, all from one exported snapshot;
//  3. post-sync with the plan: keys, indexes, foreign keys, triggers, views, ...
//
// and prints a report on stdout (JSON with -json). Exit status: 0 every step applied, 2 the job
// finished with failed, skipped or conflicting steps or tables, 1 a fatal error. SIGINT/SIGTERM
// cancel the running call's context; the plugin cancels its statements, and running the job again
// converges (post-sync applies only what is missing).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	pb "neosync-schema-plugin/pluginv1"
	"neosync-schema-plugin/schemaplugin"
)

// hookRun is one hook of the job and what its calls returned.
type hookRun struct {
	cfg      *pb.JobHook
	client   *schemaplugin.Client
	pre      *pb.PreSyncResponse
	post     *pb.PostSyncResponse
	preTime  time.Duration
	postTime time.Duration
}

func main() {
	configPath := flag.String("config", "", "job config (JSON of neosync.plugin.v1.JobConfig)")
	remote := flag.String("remote", "", "plugin host address for every hook (unix:/path or host:port); default: each hook's plugin.address")
	jsonOut := flag.Bool("json", false, "print the report as JSON; plain log lines instead of a progress line")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: neosync-go-worker -config job.json [-remote ADDR] [-json]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *configPath == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := newConsole(os.Stderr, !*jsonOut)
	rep, err := run(ctx, *configPath, *remote, out)
	out.clear()
	if err != nil {
		rep.fatal = err.Error()
		fmt.Fprintf(os.Stderr, "neosync-go-worker: %s\n", err)
	}
	if *jsonOut {
		rep.printJSON(os.Stdout)
	} else {
		rep.printText(os.Stdout)
	}
	os.Exit(rep.exitStatus())
}

func run(ctx context.Context, configPath, remote string, out *console) (*report, error) {
	rep := &report{runID: newRunID(), start: time.Now()}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return rep, err
	}
	rep.jobID = cfg.JobId
	src, dst := cfg.GetSource().GetPostgres().GetUrl(), cfg.GetDestination().GetPostgres().GetUrl()
	if src == "" || dst == "" {
		return rep, fmt.Errorf("job config %s: source.postgres.url and destination.postgres.url are required", configPath)
	}
	hooks, err := dialHooks(ctx, cfg, remote, out)
	if err != nil {
		return rep, err
	}
	defer func() {
		for _, h := range hooks {
			h.client.Close()
		}
	}()
	rep.hooks = hooks
	out.logf("job %s, run %s: %d hook(s)", cfg.JobId, rep.runID, len(hooks))

	for _, h := range hooks {
		out.logf("hook %s: pre-sync", h.cfg.Name)
		t0 := time.Now()
		h.pre, err = h.client.PreSync(ctx, &pb.PreSyncRequest{
			JobId: cfg.JobId, RunId: rep.runID, Source: cfg.Source, Destination: cfg.Destination,
			Tables: cfg.Tables, ExcludeTables: cfg.ExcludeTables, Options: h.cfg.Plugin.GetOptions(),
		}, out.stepProgress("pre-sync"))
		h.preTime = time.Since(t0)
		out.stopLine()
		if fatal(err) {
			return rep, fmt.Errorf("hook %s: %w", h.cfg.Name, err)
		}
	}

	var plans []*pb.PreSyncResponse
	for _, h := range hooks {
		plans = append(plans, h.pre)
	}
	out.logf("data step")
	rep.tables, rep.copyTime, err = copyRows(ctx, src, dst, plans, cfg.GetHydration(), out)
	if err != nil {
		return rep, fmt.Errorf("data step: %w", err)
	}

	for _, h := range hooks {
		out.logf("hook %s: post-sync", h.cfg.Name)
		t0 := time.Now()
		h.post, err = h.client.PostSync(ctx, &pb.PostSyncRequest{
			JobId: cfg.JobId, RunId: rep.runID, Source: cfg.Source, Destination: cfg.Destination,
			Options: h.cfg.Plugin.GetOptions(), Plan: h.pre.GetPlan(), Replan: h.pre.GetPlan() == nil,
			Tables: cfg.Tables, ExcludeTables: cfg.ExcludeTables,
		}, out.stepProgress("post-sync"))
		h.postTime = time.Since(t0)
		out.stopLine()
		if fatal(err) {
			return rep, fmt.Errorf("hook %s: %w", h.cfg.Name, err)
		}
	}
	return rep, nil
}

// fatal: the job cannot go on. A hook that finished with failed or skipped steps (PARTIAL) is
// not fatal: its results are in the report, and the exit status is 2.
func fatal(err error) bool {
	var e *schemaplugin.Error
	if errors.As(err, &e) {
		return e.Fatal()
	}
	return err != nil
}

// dialHooks connects to the plugin host of every enabled hook, in the order hooks run: ascending
// priority, ties by name.
func dialHooks(ctx context.Context, cfg *pb.JobConfig, remote string, out *console) ([]*hookRun, error) {
	var hooks []*hookRun
	for _, h := range cfg.Hooks {
		if h.Enabled {
			hooks = append(hooks, &hookRun{cfg: h})
		}
	}
	sort.SliceStable(hooks, func(i, j int) bool {
		a, b := hooks[i].cfg, hooks[j].cfg
		return a.Priority < b.Priority || (a.Priority == b.Priority && a.Name < b.Name)
	})
	tls := &schemaplugin.Options{TLS: schemaplugin.TLSFromEnv()}
	for i, h := range hooks {
		addr := remote
		if addr == "" {
			addr = h.cfg.GetPlugin().GetAddress()
		}
		if addr == "" {
			closeAll(hooks[:i])
			return nil, fmt.Errorf("hook %s: no plugin host: a Go worker calls the plugin through `neosync-plugin-host serve`; set plugin.address or pass -remote", h.cfg.Name)
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := schemaplugin.Dial(dctx, addr, tls)
		cancel()
		if err != nil {
			closeAll(hooks[:i])
			return nil, fmt.Errorf("hook %s: %w", h.cfg.Name, err)
		}
		h.client = c
		out.logf("hook %s (priority %d): %s %s, ABI %d.%d, at %s", h.cfg.Name, h.cfg.Priority,
			c.Info.GetName(), c.Info.GetVersion(), c.Info.GetAbiMajor(), c.Info.GetAbiMinor(), addr)
	}
	return hooks, nil
}

func closeAll(hooks []*hookRun) {
	for _, h := range hooks {
		h.client.Close()
	}
}

func newRunID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
