package natsjs

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ClientConfig says how to reach an external NATS cluster. The fields follow
// the usual NATS client options and environment variables.
type ClientConfig struct {
	URL       string // one or more nats:// URLs, comma-separated (NATS_URL)
	User      string // NATS_USER
	Password  string // NATS_PASSWORD
	Token     string // NATS_TOKEN
	CredsFile string // NATS_CREDS: a JWT credentials file
	NKeyFile  string // NATS_NKEY: an nkey seed file
	TLSCA     string // NATS_TLS_CA
	TLSCert   string // NATS_TLS_CERT
	TLSKey    string // NATS_TLS_KEY
	Name      string // connection name shown in monitoring
}

// Connect connects to the embedded server when one is given, else to
// cfg.URL. The connection reconnects forever and logs disconnects and
// asynchronous errors.
func Connect(cfg ClientConfig, embedded *server.Server, log *slog.Logger) (*nats.Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "subject", subj, "err", err)
		}),
	}
	if embedded != nil {
		opts = append(opts, nats.InProcessServer(embedded))
		nc, err := nats.Connect("", opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to embedded nats-server: %w", err)
		}
		return nc, nil
	}
	if cfg.URL == "" {
		return nil, errors.New("nats: no URL given and no embedded server")
	}
	switch {
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.NKeyFile != "":
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey seed %s: %w", cfg.NKeyFile, err)
		}
		opts = append(opts, o)
	case cfg.Token != "":
		opts = append(opts, nats.Token(cfg.Token))
	case cfg.User != "":
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", RedactURLs(cfg.URL), err)
	}
	return nc, nil
}

// RedactURLs hides the secrets in a comma-separated list of server URLs for
// messages: nats://user:pass@host becomes nats://user:***@host, and
// nats://token@host (a token as the user) nats://***@host.
func RedactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		at := strings.LastIndex(p, "@")
		if at < 0 {
			continue
		}
		start := strings.Index(p, "://")
		if start < 0 || start > at {
			start = 0
		} else {
			start += 3
		}
		user, _, hasPass := strings.Cut(p[start:at], ":")
		if hasPass {
			parts[i] = p[:start] + user + ":***" + p[at:]
		} else {
			parts[i] = p[:start] + "***" + p[at:]
		}
	}
	return strings.Join(parts, ",")
}
