package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "neosync-schema-plugin/pluginv1"
)

// report is what the job did, printed as the C host prints it (docs/host-simulator.md).
type report struct {
	jobID, runID string
	start        time.Time
	hooks        []*hookRun
	tables       []*tableResult
	copyTime     time.Duration
	fatal        string
}

// exitStatus: 1 fatal (or a hook's code other than OK/PARTIAL), 2 anything failed, skipped or
// in conflict (or a table not copied), else 0.
func (r *report) exitStatus() int {
	if r.fatal != "" {
		return 1
	}
	incomplete := false
	for _, h := range r.hooks {
		for _, e := range []*pb.Error{h.pre.GetError(), h.post.GetError()} {
			switch e.GetCode() {
			case pb.ErrorCode_ERROR_CODE_OK:
			case pb.ErrorCode_ERROR_CODE_PARTIAL:
				incomplete = true
			default:
				return 1
			}
		}
		s1, s2 := h.pre.GetSummary(), h.post.GetSummary()
		if s1.GetFailed()+s1.GetSkipped()+s1.GetConflicts()+s2.GetFailed()+s2.GetSkipped()+s2.GetConflicts() > 0 {
			incomplete = true
		}
	}
	for _, t := range r.tables {
		if t.err != "" {
			incomplete = true
		}
	}
	if incomplete {
		return 2
	}
	return 0
}

func (r *report) printText(w io.Writer) {
	fmt.Fprintf(w, "Job %s, run %s\n", r.jobID, r.runID)
	var total pb.Summary
	phase := func(title string, get func(*hookRun) (proto.Message, *pb.Summary, []*pb.StepResult, time.Duration)) {
		fmt.Fprintln(w, title)
		for _, h := range r.hooks {
			msg, s, results, took := get(h)
			if msg == nil || !msg.ProtoReflect().IsValid() {
				continue
			}
			fmt.Fprintf(w, "  %s: %d applied, %d failed, %d skipped, %d unchanged, %d conflicts in %.3f s\n",
				h.cfg.Name, s.GetApplied(), s.GetFailed(), s.GetSkipped(), s.GetUnchanged(), s.GetConflicts(), took.Seconds())
			for _, res := range results {
				switch res.Status {
				case pb.StepStatus_STEP_STATUS_FAILED, pb.StepStatus_STEP_STATUS_SKIPPED, pb.StepStatus_STEP_STATUS_CONFLICT:
					fmt.Fprintf(w, "    %s %s", res.Status, res.Identity)
					if res.Sqlstate != "" {
						fmt.Fprintf(w, " [%s]", res.Sqlstate)
					}
					fmt.Fprintf(w, ": %s\n", res.Message)
				}
			}
			total.Applied += s.GetApplied()
			total.Failed += s.GetFailed()
			total.Skipped += s.GetSkipped()
			total.Unchanged += s.GetUnchanged()
			total.Conflicts += s.GetConflicts()
		}
	}
	phase("Pre-sync", func(h *hookRun) (proto.Message, *pb.Summary, []*pb.StepResult, time.Duration) {
		return h.pre, h.pre.GetSummary(), h.pre.GetResults(), h.preTime
	})
	fmt.Fprintln(w, "Hydration")
	var rows, bytes int64
	failed := 0
	for _, t := range r.tables {
		if t.err != "" {
			failed++
			fmt.Fprintf(w, "  %-32s FAILED: %s\n", t.schema+"."+t.name, t.err)
			continue
		}
		rows += t.rows
		bytes += t.bytes
		fmt.Fprintf(w, "  %-32s %8d rows %11s %8.3f s\n", t.schema+"."+t.name, t.rows, humanBytes(float64(t.bytes)), t.took.Seconds())
	}
	fmt.Fprintf(w, "  %d tables (from the pre-sync plan), %d failed: %d rows, %s in %.3f s\n",
		len(r.tables), failed, rows, humanBytes(float64(bytes)), r.copyTime.Seconds())
	phase("Post-sync", func(h *hookRun) (proto.Message, *pb.Summary, []*pb.StepResult, time.Duration) {
		return h.post, h.post.GetSummary(), h.post.GetResults(), h.postTime
	})
	status := r.exitStatus()
	outcome := map[int]string{0: "complete", 2: "finished with failed or skipped work (exit status 2)",
		1: "stopped on a fatal error (exit status 1)"}[status]
	fmt.Fprintf(w, "Total: %d applied, %d failed, %d skipped, %d unchanged, %d conflicts in %.3f s: %s\n",
		total.Applied, total.Failed, total.Skipped, total.Unchanged, total.Conflicts, time.Since(r.start).Seconds(), outcome)
}

// printJSON: the report with every hook's responses in their proto3 JSON form.
func (r *report) printJSON(w io.Writer) {
	type hookJSON struct {
		Name     string          `json:"name"`
		PreSync  json.RawMessage `json:"preSync,omitempty"`
		PostSync json.RawMessage `json:"postSync,omitempty"`
	}
	type tableJSON struct {
		Table   string  `json:"table"`
		Rows    int64   `json:"rows"`
		Bytes   int64   `json:"bytes"`
		Seconds float64 `json:"seconds"`
		Error   string  `json:"error,omitempty"`
	}
	out := struct {
		JobID      string      `json:"jobId"`
		RunID      string      `json:"runId"`
		ExitStatus int         `json:"exitStatus"`
		Error      string      `json:"error,omitempty"`
		Hooks      []hookJSON  `json:"hooks"`
		Hydration  []tableJSON `json:"hydration"`
	}{JobID: r.jobID, RunID: r.runID, ExitStatus: r.exitStatus(), Error: r.fatal, Hooks: []hookJSON{}, Hydration: []tableJSON{}}
	raw := func(m proto.Message) json.RawMessage {
		if m == nil || !m.ProtoReflect().IsValid() {
			return nil
		}
		b, _ := protojson.Marshal(m)
		return b
	}
	for _, h := range r.hooks {
		out.Hooks = append(out.Hooks, hookJSON{Name: h.cfg.Name, PreSync: raw(h.pre), PostSync: raw(h.post)})
	}
	for _, t := range r.tables {
		out.Hydration = append(out.Hydration, tableJSON{t.schema + "." + t.name, t.rows, t.bytes, t.took.Seconds(), t.err})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}
