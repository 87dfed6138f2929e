package schemaplugin

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// endpoint is a parsed plugin.address.
type endpoint struct {
	network string // "unix" or "tcp"
	addr    string // socket path, or host:port
	host    string // TLS server name (tcp only)
}

// parseAddress reads an address the way the host's --listen and a hook's plugin.address name one:
// "unix:/path/to.sock" (also "unix:///path"), "HOST:PORT", "[V6]:PORT", or ":PORT" (127.0.0.1).
func parseAddress(address string) (endpoint, error) {
	if strings.HasPrefix(address, "unix:") {
		path := strings.TrimPrefix(address, "unix:")
		if strings.HasPrefix(path, "//") {
			path = strings.TrimPrefix(path, "//")
		}
		if !strings.HasPrefix(path, "/") {
			return endpoint{}, fmt.Errorf("address %q: a unix socket address needs an absolute path (unix:/path/to.sock)", address)
		}
		return endpoint{network: "unix", addr: path}, nil
	}
	host, port, err := net.SplitHostPort(address)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		return endpoint{}, fmt.Errorf("address %q: expected unix:/path, HOST:PORT, [V6]:PORT or :PORT", address)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return endpoint{network: "tcp", addr: net.JoinHostPort(host, port), host: host}, nil
}
