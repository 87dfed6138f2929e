// Package schemaplugin is the Go client of the Neosync schema plugin's gRPC host
// (`neosync-plugin-host serve`, service neosync.plugin.v1.SchemaPlugin).
//
// A Go sync worker dials the host named by a hook's plugin.address, calls PreSync before its data
// step and PostSync after it, with the plan PreSync returned:
//
//	c, err := schemaplugin.Dial(ctx, "unix:/run/neosync/plugin.sock", nil)
//	pre, err := c.PreSync(ctx, &pluginv1.PreSyncRequest{...}, onProgress)
//	// ... copy the rows of the tables in pre.Plan ...
//	post, err := c.PostSync(ctx, &pluginv1.PostSyncRequest{Plan: pre.Plan, ...}, onProgress)
//
// Errors are *Error values: the plugin's ErrorCode, SQLSTATE and message, and the gRPC status
// they travelled with. A hook that finished with failed or skipped steps returns its response
// and an *Error of code ERROR_CODE_PARTIAL (or FAILED): the response holds every step's result.
// Cancelling the context (or its deadline passing) cancels the hook on the host: the plugin
// cancels its running statements, and a post-sync run again later applies only what is missing.
package schemaplugin
