package schemaplugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	pb "neosync-schema-plugin/pluginv1"
)

// ABIMajor is the plugin ABI major version this client was written for. Dial refuses a host
// whose plugin reports another one (minor versions only add fields, and are accepted).
const ABIMajor = 1

// MaxMessageBytes is the largest message sent or received: the host's default limit.
const MaxMessageBytes = 64 << 20

// TLS is the client side of the host's TLS options (serve --tls-cert/--tls-key/--tls-client-ca).
type TLS struct {
	CAFile   string // PEM roots that sign the host's certificate (required)
	CertFile string // client certificate chain, for a host that requires one (mutual TLS)
	KeyFile  string
}

// TLSFromEnv reads the variables the C host's client reads: NSP_GRPC_TLS_CA (turns TLS on),
// NSP_GRPC_TLS_CERT and NSP_GRPC_TLS_KEY. nil when NSP_GRPC_TLS_CA is not set.
func TLSFromEnv() *TLS {
	ca := os.Getenv("NSP_GRPC_TLS_CA")
	if ca == "" {
		return nil
	}
	return &TLS{CAFile: ca, CertFile: os.Getenv("NSP_GRPC_TLS_CERT"), KeyFile: os.Getenv("NSP_GRPC_TLS_KEY")}
}

// Options of Dial. The zero value (or nil) is plaintext, as on a Unix socket or loopback.
type Options struct {
	TLS *TLS
}

// Client is a connection to one plugin host. Safe for concurrent use: every call runs on its own
// plugin handle on the host.
type Client struct {
	Address string         // as given to Dial
	Info    *pb.PluginInfo // what the host's plugin described itself as
	conn    *grpc.ClientConn
	rpc     pb.SchemaPluginClient
}

// Dial connects to the plugin host at address (unix:/path, HOST:PORT, [V6]:PORT, :PORT), calls
// Describe within ctx and checks the plugin's ABI major. A host that cannot be reached within
// ctx, or a plugin of another ABI major, is an *Error.
func Dial(ctx context.Context, address string, opts *Options) (*Client, error) {
	ep, err := parseAddress(address)
	if err != nil {
		return nil, &Error{Op: "dial", Code: pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, Message: err.Error()}
	}
	creds, err := transportCredentials(ep, opts)
	if err != nil {
		return nil, &Error{Op: "dial", Code: pb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, Message: err.Error()}
	}
	dialer := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, ep.network, ep.addr)
	}
	// "passthrough": the address goes to the dialer as it is (no name resolution by gRPC).
	conn, err := grpc.DialContext(ctx, "passthrough:///"+ep.addr,
		grpc.WithContextDialer(dialer), creds,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
	if err != nil {
		return nil, &Error{Op: "dial", Code: pb.ErrorCode_ERROR_CODE_CONNECTION, Message: fmt.Sprintf("%s: %v", address, err)}
	}
	c := &Client{Address: address, conn: conn, rpc: pb.NewSchemaPluginClient(conn)}
	info, err := c.Describe(ctx)
	if err != nil {
		conn.Close()
		var e *Error
		if errors.As(err, &e) {
			e.Message = fmt.Sprintf("plugin host at %s: %s", address, e.Message)
		}
		return nil, err
	}
	if info.GetAbiMajor() != ABIMajor {
		conn.Close()
		return nil, &Error{Op: "describe", Code: pb.ErrorCode_ERROR_CODE_ABI, Status: codes.OK,
			Message: fmt.Sprintf("plugin host at %s serves %s %s with ABI %d.%d; this client speaks ABI %d.x: use a client and a plugin of the same ABI major",
				address, info.GetName(), info.GetVersion(), info.GetAbiMajor(), info.GetAbiMinor(), ABIMajor)}
	}
	c.Info = info
	return c, nil
}

func transportCredentials(ep endpoint, opts *Options) (grpc.DialOption, error) {
	if opts == nil || opts.TLS == nil {
		return grpc.WithInsecure(), nil
	}
	t := opts.TLS
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS CA file %s: no PEM certificate in it", t.CAFile)
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: ep.host, MinVersion: tls.VersionTLS12}
	if ep.network == "unix" {
		cfg.ServerName = "localhost"
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg)), nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Describe asks the host what plugin it serves.
func (c *Client) Describe(ctx context.Context) (*pb.PluginInfo, error) {
	resp, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, fromStatus("describe", err, ctx)
	}
	return resp.GetInfo(), nil
}

// ProgressFunc receives the plugin's progress events as they are made (called from the calling
// goroutine, in order).
type ProgressFunc func(*pb.ProgressEvent)

// PreSync creates the bare tables (or, with req.DryRun, only plans). It returns the response
// whenever the host sent one, and an *Error unless its code is ERROR_CODE_OK.
func (c *Client) PreSync(ctx context.Context, req *pb.PreSyncRequest, progress ProgressFunc) (*pb.PreSyncResponse, error) {
	stream, err := c.rpc.PreSync(ctx, req)
	if err != nil {
		return nil, fromStatus("pre-sync", err, ctx)
	}
	var resp *pb.PreSyncResponse
	st, err := receive(stream, func(ev *pb.PreSyncEvent) {
		if p := ev.GetProgress(); p != nil && progress != nil {
			progress(p)
		} else if r := ev.GetResponse(); r != nil {
			resp = r
		}
	}, func() interface{} { return new(pb.PreSyncEvent) })
	return finish("pre-sync", ctx, resp, resp.GetError(), st, err)
}

// PostSync applies everything pre-sync deferred (req.Plan is pre-sync's plan). Idempotent: run
// again after a cancellation or a crash, it applies only what is missing.
func (c *Client) PostSync(ctx context.Context, req *pb.PostSyncRequest, progress ProgressFunc) (*pb.PostSyncResponse, error) {
	stream, err := c.rpc.PostSync(ctx, req)
	if err != nil {
		return nil, fromStatus("post-sync", err, ctx)
	}
	var resp *pb.PostSyncResponse
	st, err := receive(stream, func(ev *pb.PostSyncEvent) {
		if p := ev.GetProgress(); p != nil && progress != nil {
			progress(p)
		} else if r := ev.GetResponse(); r != nil {
			resp = r
		}
	}, func() interface{} { return new(pb.PostSyncEvent) })
	return finish("post-sync", ctx, resp, resp.GetError(), st, err)
}

// receive reads a hook's stream to its end: events to each, then the call's status (io.EOF =
// OK). err is the status error when the call did not end OK.
func receive[E any](stream grpc.ClientStream, each func(E), alloc func() interface{}) (codes.Code, error) {
	for {
		m := alloc()
		if err := stream.RecvMsg(m); err != nil {
			if err == io.EOF {
				return codes.OK, nil
			}
			return status.Code(err), err
		}
		each(m.(E))
	}
}

// finish turns what a hook call ended with into (response, error).
func finish[R any](op string, ctx context.Context, resp *R, e *pb.Error, st codes.Code, err error) (*R, error) {
	if resp == nil {
		if err == nil {
			return nil, &Error{Op: op, Code: pb.ErrorCode_ERROR_CODE_INTERNAL, Status: st,
				Message: "the host ended the call without a response"}
		}
		return nil, fromStatus(op, err, ctx)
	}
	// The response came (it is sent before a non-OK status such as CANCELLED): its Error is the
	// plugin's own account of what happened.
	if err != nil && ctx.Err() == context.Canceled {
		st = codes.Canceled
	}
	return resp, fromResponse(op, e, st)
}
