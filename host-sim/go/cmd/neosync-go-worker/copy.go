package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"

	pb "neosync-schema-plugin/pluginv1"
)

// tableResult is one table of the data step.
type tableResult struct {
	schema, name string
	columns      string // quoted column list copied: every column but generated ones
	size         int64  // bytes on disk at the source: the largest table is copied first
	rows, bytes  int64
	took         time.Duration
	err          string // "" = copied
}

func (t *tableResult) qualified() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// copyRows copies the rows of the tables the pre-sync plans created (a partitioned table's rows
// go to its leaf partitions), from one snapshot of the source, `parallelism` tables at a time.
// A table that fails is reported and does not stop the others; err is for what stops them all
// (the source unreachable, the context cancelled).
func copyRows(ctx context.Context, src, dst string, plans []*pb.PreSyncResponse, settings *pb.HydrationSettings, out *console) ([]*tableResult, time.Duration, error) {
	start := time.Now()
	schemas, names := planTables(plans)
	if len(names) == 0 {
		return nil, 0, nil
	}
	// The exporting transaction stays open until every copy has imported its snapshot and ended.
	exporter, err := pgx.Connect(ctx, src)
	if err != nil {
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	defer exporter.Close(context.Background())
	var snapshot string
	if _, err := exporter.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return nil, 0, fmt.Errorf("source: %w", err)
	}
	if err := exporter.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, 0, fmt.Errorf("source: exporting a snapshot: %w", err)
	}
	tables, err := leafTables(ctx, exporter, schemas, names)
	if err != nil {
		return nil, 0, fmt.Errorf("source: listing the tables to copy: %w", err)
	}
	out.logf("data step: %d tables from the pre-sync plan", len(tables))

	parallelism := int(settings.GetParallelism())
	if parallelism <= 0 {
		parallelism = 2
	}
	if parallelism > len(tables) {
		parallelism = len(tables)
	}
	prog := out.copyProgress(tables)
	work := make(chan *tableResult)
	var wg sync.WaitGroup
	for i := 0; i < parallelism; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &copier{src: src, dst: dst, snapshot: snapshot, truncate: settings.GetTruncateBeforeInsert()}
			defer c.close()
			for t := range work {
				c.copyTable(ctx, t, prog)
				prog.tableDone(t)
			}
		}()
	}
	for _, t := range tables { // largest first (leafTables' order)
		work <- t
	}
	close(work)
	wg.Wait()
	prog.finish()
	if ctx.Err() != nil {
		return tables, time.Since(start), ctx.Err()
	}
	return tables, time.Since(start), nil
}

// planTables: the TABLE steps the plans carry that pre-sync did not skip or fail.
func planTables(plans []*pb.PreSyncResponse) (schemas, names []string) {
	for _, pre := range plans {
		notCreated := map[uint32]bool{}
		for _, r := range pre.GetResults() {
			if r.Status == pb.StepStatus_STEP_STATUS_FAILED || r.Status == pb.StepStatus_STEP_STATUS_SKIPPED {
				notCreated[r.StepId] = true
			}
		}
		for _, s := range pre.GetPlan().GetSteps() {
			if s.Kind == pb.ObjectKind_OBJECT_KIND_TABLE && s.SkipReason == "" && !notCreated[s.Id] {
				schemas, names = append(schemas, s.Schema), append(names, s.Name)
			}
		}
	}
	return schemas, names
}

// leafTables resolves (schema, name) pairs to the tables that hold rows: a plain table is itself,
// a partitioned table its leaf partitions. Largest first; with the columns to copy (generated
// columns are computed by the destination).
const leafTablesSQL = `
SELECT DISTINCT ln.nspname, lc.relname, pg_catalog.pg_relation_size(lc.oid),
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = lc.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
  FROM unnest($1::text[], $2::text[]) AS r(nspname, relname) -- (multi-argument unnest: FROM syntax, cannot be schema-qualified)
  JOIN pg_catalog.pg_namespace n ON n.nspname = r.nspname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = r.relname
  JOIN LATERAL (SELECT pt.relid FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf AND c.relkind = 'p'
                UNION ALL SELECT c.oid WHERE c.relkind = 'r') leaf ON true
  JOIN pg_catalog.pg_class lc ON lc.oid = leaf.relid AND lc.relkind = 'r'
  JOIN pg_catalog.pg_namespace ln ON ln.oid = lc.relnamespace
 ORDER BY 3 DESC, 1, 2`

func leafTables(ctx context.Context, conn *pgx.Conn, schemas, names []string) ([]*tableResult, error) {
	rows, err := conn.Query(ctx, leafTablesSQL, schemas, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []*tableResult
	for rows.Next() {
		t := &tableResult{rows: -1}
		var cols *string
		if err := rows.Scan(&t.schema, &t.name, &t.size, &cols); err != nil {
			return nil, err
		}
		if cols != nil {
			t.columns = *cols
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

// copier is one worker of the data step: a source connection in the exported snapshot and a
// destination connection, opened on first use and again after a failure.
type copier struct {
	src, dst, snapshot string
	truncate           bool
	in, out            *pgx.Conn
}

func (c *copier) close() {
	for _, conn := range []*pgx.Conn{c.in, c.out} {
		if conn != nil {
			conn.Close(context.Background())
		}
	}
	c.in, c.out = nil, nil
}

func (c *copier) open(ctx context.Context) error {
	if c.in != nil {
		return nil
	}
	var err error
	if c.in, err = pgx.Connect(ctx, c.src); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if _, err = c.in.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err == nil {
		_, err = c.in.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(c.snapshot))
	}
	if err != nil {
		return fmt.Errorf("source: importing the snapshot: %w", err)
	}
	if c.out, err = pgx.Connect(ctx, c.dst); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	return nil
}

// copyTable streams COPY TO STDOUT of the source into COPY FROM STDIN of the destination (text
// format: rows are lines, which the progress line counts), in one destination transaction with
// the TRUNCATE when the job asks for one.
func (c *copier) copyTable(ctx context.Context, t *tableResult, prog *copyProgress) {
	t0 := time.Now()
	defer func() { t.took = time.Since(t0) }()
	fail := func(err error) {
		t.err = describePgError(err)
		c.close() // a connection in an unknown state is not reused
	}
	if err := c.open(ctx); err != nil {
		fail(err)
		return
	}
	if _, err := c.out.Exec(ctx, "BEGIN"); err != nil {
		fail(err)
		return
	}
	if c.truncate {
		if _, err := c.out.Exec(ctx, "TRUNCATE ONLY "+t.qualified()); err != nil {
			fail(err)
			return
		}
	}
	cols := "(" + t.columns + ")"
	if t.columns == "" {
		cols = ""
	}
	pr, pw := io.Pipe()
	counted := &countingWriter{w: pw, prog: prog}
	readErr := make(chan error, 1)
	go func() {
		_, err := c.in.PgConn().CopyTo(ctx, counted, fmt.Sprintf("COPY %s %s TO STDOUT", t.qualified(), cols))
		pw.CloseWithError(err)
		readErr <- err
	}()
	tag, err := c.out.PgConn().CopyFrom(ctx, pr, fmt.Sprintf("COPY %s %s FROM STDIN", t.qualified(), cols))
	pr.CloseWithError(errors.New("destination COPY ended"))
	if rerr := <-readErr; rerr != nil {
		err = fmt.Errorf("source: %w", rerr)
	}
	if err == nil {
		_, err = c.out.Exec(ctx, "COMMIT")
	}
	if err != nil {
		fail(err)
		return
	}
	t.rows, t.bytes = tag.RowsAffected(), counted.bytes
}

// countingWriter passes COPY data on and counts bytes and rows (lines) for the progress line.
type countingWriter struct {
	w     io.Writer
	prog  *copyProgress
	bytes int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.bytes += int64(n)
	c.prog.add(int64(n), int64(bytes.Count(p[:n], []byte{'\n'})))
	return n, err
}

func describePgError(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		msg := fmt.Sprintf("SQLSTATE %s: %s", pgErr.Code, pgErr.Message)
		if pgErr.Detail != "" {
			msg += " (" + pgErr.Detail + ")"
		}
		return msg
	}
	return err.Error()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

