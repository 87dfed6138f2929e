package schemaplugin

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "neosync-schema-plugin/pluginv1"
)

// Error is what a hook call or Dial returns when the plugin (or the way to it) reported a
// problem. It keeps the plugin's Error message as it was sent: Code, SQLSTATE and Message.
type Error struct {
	Op       string       // "describe", "pre-sync", "post-sync"
	Code     pb.ErrorCode // the plugin's code (ERROR_CODE_PARTIAL: finished with failed or skipped steps)
	SQLState string       // of the failure, when PostgreSQL reported one
	Message  string       // what went wrong, where, and what to do
	Status   codes.Code   // the gRPC status of the call (codes.OK when the hook itself reported it)
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Op, codeName(e.Code))
	if e.SQLState != "" {
		msg += ", SQLSTATE " + e.SQLState
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes errors.Is(err, context.Canceled) and errors.Is(err, context.DeadlineExceeded) hold for
// a call that the caller's context ended.
func (e *Error) Is(target error) bool {
	switch target {
	case context.Canceled:
		return e.Status == codes.Canceled || (e.Status == codes.OK && e.Code == pb.ErrorCode_ERROR_CODE_CANCELLED)
	case context.DeadlineExceeded:
		return e.Status == codes.DeadlineExceeded
	}
	return false
}

// Fatal tells whether the job must stop: any code other than OK and PARTIAL (a pre-sync that
// failed changed nothing; a post-sync that could not run left its work to a re-run).
func (e *Error) Fatal() bool {
	return e.Code != pb.ErrorCode_ERROR_CODE_OK && e.Code != pb.ErrorCode_ERROR_CODE_PARTIAL
}

// codeName is "partial" for ERROR_CODE_PARTIAL, and so on.
func codeName(c pb.ErrorCode) string {
	switch c {
	case pb.ErrorCode_ERROR_CODE_OK:
		return "ok"
	case pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT:
		return "invalid argument"
	case pb.ErrorCode_ERROR_CODE_ABI:
		return "incompatible ABI"
	case pb.ErrorCode_ERROR_CODE_CONNECTION:
		return "connection failed"
	case pb.ErrorCode_ERROR_CODE_EXISTS:
		return "objects exist"
	case pb.ErrorCode_ERROR_CODE_FAILED:
		return "failed"
	case pb.ErrorCode_ERROR_CODE_CANCELLED:
		return "cancelled"
	case pb.ErrorCode_ERROR_CODE_INTERNAL:
		return "internal error"
	case pb.ErrorCode_ERROR_CODE_PARTIAL:
		return "partial"
	}
	return c.String()
}

// fromResponse is the error a final response carries (nil for ERROR_CODE_OK). st is the call's
// gRPC status (the host sends the response before a non-OK status, e.g. INVALID_ARGUMENT).
func fromResponse(op string, e *pb.Error, st codes.Code) error {
	if e.GetCode() == pb.ErrorCode_ERROR_CODE_OK && st == codes.OK {
		return nil
	}
	code := e.GetCode()
	if code == pb.ErrorCode_ERROR_CODE_OK {
		code = codeFromStatus(st)
	}
	return &Error{Op: op, Code: code, SQLState: e.GetSqlstate(), Message: e.GetMessage(), Status: st}
}

// fromStatus is the error of a call that ended without a response.
func fromStatus(op string, err error, ctx context.Context) error {
	st, _ := status.FromError(err)
	c := st.Code()
	// A context that ended on this side: say so, whatever the transport made of it.
	switch ctx.Err() {
	case context.Canceled:
		c = codes.Canceled
	case context.DeadlineExceeded:
		c = codes.DeadlineExceeded
	}
	msg := st.Message()
	switch c {
	case codes.Canceled:
		msg = "the call was cancelled by the caller (" + msg + ")"
	case codes.DeadlineExceeded:
		msg = "the call's deadline passed (" + msg + ")"
	case codes.Unavailable:
		msg = "the plugin host is not reachable: " + msg
	}
	return &Error{Op: op, Code: codeFromStatus(c), Message: msg, Status: c}
}

// codeFromStatus maps the host's gRPC statuses (docs/host-simulator.md, "Status mapping") back
// to the plugin's codes.
func codeFromStatus(c codes.Code) pb.ErrorCode {
	switch c {
	case codes.OK:
		return pb.ErrorCode_ERROR_CODE_OK
	case codes.InvalidArgument:
		return pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT
	case codes.FailedPrecondition:
		return pb.ErrorCode_ERROR_CODE_ABI
	case codes.Canceled, codes.DeadlineExceeded:
		return pb.ErrorCode_ERROR_CODE_CANCELLED
	case codes.Unavailable:
		return pb.ErrorCode_ERROR_CODE_CONNECTION
	}
	return pb.ErrorCode_ERROR_CODE_INTERNAL
}
