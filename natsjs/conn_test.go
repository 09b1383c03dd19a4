package natsjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// startAuthServer starts a listening server that requires the given
// user/password or token.
func startAuthServer(tb testing.TB, opts *server.Options) string {
	tb.Helper()
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.JetStream, opts.StoreDir = true, tb.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server not ready")
	}
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func TestConnect(t *testing.T) {
	t.Parallel()
	userURL := startAuthServer(t, &server.Options{Username: "producer", Password: "s3cret"})
	tokenURL := startAuthServer(t, &server.Options{Authorization: "tok-123"})
	cases := []struct {
		name string
		cfg  natsjs.ClientConfig
		ok   bool
	}{
		{"UserPassword", natsjs.ClientConfig{URL: userURL, User: "producer", Password: "s3cret"}, true},
		{"ErrWrongPassword", natsjs.ClientConfig{URL: userURL, User: "producer", Password: "nope"}, false},
		{"ErrNoCredentials", natsjs.ClientConfig{URL: userURL}, false},
		{"Token", natsjs.ClientConfig{URL: tokenURL, Token: "tok-123"}, true},
		{"ErrWrongToken", natsjs.ClientConfig{URL: tokenURL, Token: "tok-999"}, false},
		{"ErrMissingCredsFile", natsjs.ClientConfig{URL: userURL, CredsFile: "/nonexistent.creds"}, false},
		{"ErrNoURL", natsjs.ClientConfig{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := natsjs.Connect(tc.cfg, nil, nil)
			if tc.ok != (err == nil) {
				t.Fatalf("got err %v, want ok=%v", err, tc.ok)
			}
			if err == nil {
				nc.Close()
			}
			if err != nil && tc.cfg.Password != "" && contains(err.Error(), tc.cfg.Password) {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestEmbeddedAndStreams starts the embedded server the program uses,
// creates the streams twice (idempotent), and checks their subjects do not
// overlap and that an event subject lands on the event stream.
func TestEmbeddedAndStreams(t *testing.T) {
	t.Parallel()
	s, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	nc, err := natsjs.Connect(natsjs.ClientConfig{URL: s.ClientURL()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := natsjs.EnsureStreams(ctx, js, natsjs.StreamConfig{MaxBytes: 1 << 20}); err != nil {
			t.Fatalf("EnsureStreams (%d): %v", i, err)
		}
	}
	subj, _ := schema.Subject("paris-2015", "DEU", schema.KindPledge)
	ack, err := js.Publish(ctx, subj, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Stream != natsjs.EventStream {
		t.Fatalf("event subject stored on %q, want %q", ack.Stream, natsjs.EventStream)
	}
	ack, err = js.Publish(ctx, natsjs.DeadLetterSubject, []byte("{}"))
	if err != nil || ack.Stream != natsjs.DeadLetterStream {
		t.Fatalf("dead letter: got %v %v, want stream %s", ack, err, natsjs.DeadLetterStream)
	}
	str, _ := js.Stream(ctx, natsjs.EventStream)
	info, _ := str.Info(ctx)
	if info.Config.MaxBytes != 1<<20 || info.Config.Discard != jetstream.DiscardNew {
		t.Fatalf("event stream limits: got max %d discard %v", info.Config.MaxBytes, info.Config.Discard)
	}
}

func TestIsRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, false},
		{"Canceled", context.Canceled, false},
		{"Timeout", context.DeadlineExceeded, true},
		{"NoLeader", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{"StreamFull", &jetstream.APIError{Code: 503, ErrorCode: 10077, Description: "maximum bytes exceeded"}, false},
		{"BadRequest", &jetstream.APIError{Code: 400, ErrorCode: 10003, Description: "bad request"}, false},
		{"StreamNotFound", &jetstream.APIError{Code: 404, ErrorCode: jetstream.JSErrCodeStreamNotFound}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := natsjs.IsRetryable(tc.err); got != tc.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
