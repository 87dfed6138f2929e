// The schema plugin around a data step, in about 30 lines: docs/go-worker.md. No parallelism,
// no snapshot, no generated columns (SELECT * has them, COPY FROM does not take them), no report:
// cmd/neosync-go-worker is the full version. ONLY: a partitioned parent holds no rows itself, its
// partitions are steps of their own.
package main

import (
	"context"
	"io"
	"log"
	"os"

	"github.com/jackc/pgx/v4"

	pb "neosync-schema-plugin/pluginv1"
	"neosync-schema-plugin/schemaplugin"
)

func main() {
	ctx, src, dst := context.Background(), os.Getenv("SRC_URL"), os.Getenv("DST_URL")
	conn := func(url string) *pb.Connection {
		return &pb.Connection{Kind: &pb.Connection_Postgres{Postgres: &pb.PostgresConnection{Url: url}}}
	}
	c, err := schemaplugin.Dial(ctx, os.Getenv("PLUGIN_ADDRESS"), nil) // e.g. unix:/run/neosync/plugin.sock
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	pre, err := c.PreSync(ctx, &pb.PreSyncRequest{JobId: "minimal", Source: conn(src), Destination: conn(dst)}, nil)
	if err != nil {
		log.Fatal(err) // *schemaplugin.Error: Code, SQLState, Message
	}
	in, _ := pgx.Connect(ctx, src)
	out, _ := pgx.Connect(ctx, dst)
	for _, s := range pre.Plan.Steps { // the bare tables pre-sync created
		if s.Kind == pb.ObjectKind_OBJECT_KIND_TABLE && s.SkipReason == "" {
			table := pgx.Identifier{s.Schema, s.Name}.Sanitize()
			r, w := io.Pipe()
			go func() { _, err := in.PgConn().CopyTo(ctx, w, "COPY (SELECT * FROM ONLY "+table+") TO STDOUT"); w.CloseWithError(err) }()
			if _, err := out.PgConn().CopyFrom(ctx, r, "COPY "+table+" FROM STDIN"); err != nil {
				log.Fatal(err)
			}
		}
	}
	post, err := c.PostSync(ctx, &pb.PostSyncRequest{JobId: "minimal", Source: conn(src), Destination: conn(dst), Plan: pre.Plan},
		func(ev *pb.ProgressEvent) { log.Printf("post-sync %d/%d %s", ev.Done, ev.Total, ev.Identity) })
	log.Printf("post-sync: %d applied, %d failed; %v", post.GetSummary().GetApplied(), post.GetSummary().GetFailed(), err)
}
