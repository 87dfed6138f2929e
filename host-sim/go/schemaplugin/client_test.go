package schemaplugin

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "neosync-schema-plugin/pluginv1"
)

// fakeHost is a SchemaPlugin server with scripted answers, on a real Unix socket.
type fakeHost struct {
	pb.UnimplementedSchemaPluginServer
	abiMajor  uint32
	preEvents []*pb.ProgressEvent
	preResp   *pb.PreSyncResponse
	preStatus error
	postSaw   chan error // PostSync blocks until its context ends, and sends ctx.Err() here
}

func (f *fakeHost) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Info: &pb.PluginInfo{Name: "fake", Version: "9.9", AbiMajor: f.abiMajor, AbiMinor: 3}}, nil
}

func (f *fakeHost) PreSync(req *pb.PreSyncRequest, s pb.SchemaPlugin_PreSyncServer) error {
	for _, ev := range f.preEvents {
		if err := s.Send(&pb.PreSyncEvent{Event: &pb.PreSyncEvent_Progress{Progress: ev}}); err != nil {
			return err
		}
	}
	if f.preResp != nil {
		if err := s.Send(&pb.PreSyncEvent{Event: &pb.PreSyncEvent_Response{Response: f.preResp}}); err != nil {
			return err
		}
	}
	return f.preStatus
}

func (f *fakeHost) PostSync(req *pb.PostSyncRequest, s pb.SchemaPlugin_PostSyncServer) error {
	_ = s.Send(&pb.PostSyncEvent{Event: &pb.PostSyncEvent_Progress{Progress: &pb.ProgressEvent{Done: 0, Total: 5}}})
	<-s.Context().Done()
	f.postSaw <- s.Context().Err()
	return status.Error(codes.Canceled, "cancelled")
}

func startFake(t *testing.T, f *fakeHost) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "host.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterSchemaPluginServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return "unix:" + sock
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestParseAddress(t *testing.T) {
	cases := []struct{ in, network, addr string }{
		{"unix:/run/x.sock", "unix", "/run/x.sock"},
		{"unix:///run/x.sock", "unix", "/run/x.sock"},
		{"localhost:7000", "tcp", "localhost:7000"},
		{"[::1]:7000", "tcp", "[::1]:7000"},
		{":7000", "tcp", "127.0.0.1:7000"},
	}
	for _, c := range cases {
		ep, err := parseAddress(c.in)
		if err != nil || ep.network != c.network || ep.addr != c.addr {
			t.Errorf("parseAddress(%q) = %+v, %v; want %s %s", c.in, ep, err, c.network, c.addr)
		}
	}
	for _, bad := range []string{"", "unix:relative.sock", "localhost", "http://x"} {
		if _, err := parseAddress(bad); err == nil {
			t.Errorf("parseAddress(%q) accepted a bad address", bad)
		}
	}
}

func TestDialUnreachableIsAClearError(t *testing.T) {
	addr := "unix:" + filepath.Join(t.TempDir(), "nobody.sock")
	_, err := Dial(ctxFor(t), addr, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_CONNECTION || e.Status != codes.Unavailable {
		t.Fatalf("Dial(%s) = %v; want a CONNECTION error", addr, err)
	}
	for _, want := range []string{addr, "not reachable", "no such file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDialRefusesAnotherABIMajor(t *testing.T) {
	addr := startFake(t, &fakeHost{abiMajor: 2})
	_, err := Dial(ctxFor(t), addr, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_ABI || !e.Fatal() {
		t.Fatalf("Dial = %v; want an ABI error", err)
	}
	for _, want := range []string{"ABI 2.3", "ABI 1.x", "fake 9.9"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestPreSyncDeliversProgressThenResponse(t *testing.T) {
	f := &fakeHost{abiMajor: 1,
		preEvents: []*pb.ProgressEvent{{StepId: 1, Done: 0, Total: 2}, {StepId: 1, Done: 1, Total: 2}, {StepId: 2, Done: 2, Total: 2}},
		preResp:   &pb.PreSyncResponse{Error: &pb.Error{}, Plan: &pb.Plan{JobId: "j"}}}
	c, err := Dial(ctxFor(t), startFake(t, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Info.GetName() != "fake" {
		t.Errorf("Info = %v", c.Info)
	}
	var got []uint32
	resp, err := c.PreSync(ctxFor(t), &pb.PreSyncRequest{JobId: "j"}, func(ev *pb.ProgressEvent) { got = append(got, ev.Done) })
	if err != nil || resp.GetPlan().GetJobId() != "j" {
		t.Fatalf("PreSync = %v, %v", resp, err)
	}
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Errorf("progress events %v; want done 0,1,2 in order", got)
	}
}

func TestHookErrorsKeepCodeSQLStateAndMessage(t *testing.T) {
	// Partial: the response and a non-fatal error.
	f := &fakeHost{abiMajor: 1, preResp: &pb.PreSyncResponse{
		Error:   &pb.Error{Code: pb.ErrorCode_ERROR_CODE_PARTIAL, Message: "1 step failed"},
		Results: []*pb.StepResult{{StepId: 1, Status: pb.StepStatus_STEP_STATUS_FAILED, Sqlstate: "23505"}}}}
	c, err := Dial(ctxFor(t), startFake(t, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.PreSync(ctxFor(t), &pb.PreSyncRequest{}, nil)
	var e *Error
	if resp == nil || len(resp.Results) != 1 || !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_PARTIAL || e.Fatal() {
		t.Fatalf("partial: %v, %v", resp, err)
	}

	// An invalid request: the response comes before the INVALID_ARGUMENT status.
	f.preResp = &pb.PreSyncResponse{Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, Sqlstate: "42P01", Message: "no such table"}}
	f.preStatus = status.Error(codes.InvalidArgument, "no such table")
	resp, err = c.PreSync(ctxFor(t), &pb.PreSyncRequest{}, nil)
	if resp == nil || !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT ||
		e.SQLState != "42P01" || e.Message != "no such table" || e.Status != codes.InvalidArgument || !e.Fatal() {
		t.Fatalf("invalid: %v, %#v", resp, err)
	}
	if want := "pre-sync: invalid argument, SQLSTATE 42P01: no such table"; err.Error() != want {
		t.Errorf("message %q; want %q", err, want)
	}

	// No response at all, only a status: mapped to a code.
	f.preResp, f.preStatus = nil, status.Error(codes.FailedPrecondition, "ABI 2.0 vs 1.0")
	_, err = c.PreSync(ctxFor(t), &pb.PreSyncRequest{}, nil)
	if !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_ABI || !strings.Contains(e.Message, "ABI 2.0") {
		t.Fatalf("status only: %v", err)
	}
}

func TestCancelAndDeadlineReachTheHook(t *testing.T) {
	f := &fakeHost{abiMajor: 1, postSaw: make(chan error, 2)}
	c, err := Dial(ctxFor(t), startFake(t, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	_, err = c.PostSync(ctx, &pb.PostSyncRequest{}, func(*pb.ProgressEvent) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled PostSync = %v; want context.Canceled", err)
	}
	if saw := <-f.postSaw; saw == nil {
		t.Error("the host's call did not see the cancellation")
	}

	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.PostSync(ctx, &pb.PostSyncRequest{}, nil)
	var e *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &e) || e.Code != pb.ErrorCode_ERROR_CODE_CANCELLED {
		t.Fatalf("PostSync past its deadline = %v; want DeadlineExceeded", err)
	}
	if saw := <-f.postSaw; saw == nil {
		t.Error("the host's call did not see the deadline")
	}
}
