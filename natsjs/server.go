package natsjs

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure StartEmbedded.
type EmbeddedOptions struct {
	// StoreDir holds JetStream's files; events survive restarts there.
	StoreDir string
	// Listen, when not empty, is a host:port on which the server also
	// accepts network clients (nats CLI, other processes). Empty means
	// in-process connections only.
	Listen string
	// MaxStore caps JetStream file storage in bytes; 0 means no cap.
	MaxStore int64
}

// StartEmbedded starts an in-process nats-server with JetStream and waits
// until it accepts connections. Call Shutdown (and WaitForShutdown) on the
// result to stop it.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "coalition-embedded",
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: o.Listen == "",
	}
	if o.MaxStore > 0 {
		opts.JetStreamMaxStore = o.MaxStore
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", o.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: bad port", o.Listen)
		}
		if p == 0 {
			p = -1 // random
		}
		opts.Host, opts.Port = host, p
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats-server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats-server (store %s) not ready after 30s", o.StoreDir)
	}
	return s, nil
}
