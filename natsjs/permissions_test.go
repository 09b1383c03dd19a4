package natsjs_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/producers"
	"github.com/coalitiondev/coalition/schema"
)

// deployConf is the sample server configuration under test.
const deployConf = "../deploy/nats/nats-server.conf"

// deployPasswords are the passwords the tests give deployConf through its
// environment variables (NATS_<USER>_PASSWORD).
var deployPasswords = map[string]string{
	"producer": "producer-0c1d2e3f4a5b",
	"consumer": "consumer-6c7d8e9fa0b1",
	"reader":   "reader-c2d3e4f5a6b7",
	"admin":    "admin-d8e9fa0b1c2d",
	"sys":      "sys-3e4f5a6b7c8d",
}

// StartDeployServer starts nats-server from deploy/nats/nats-server.conf,
// on a free loopback port, without monitoring, with its store in a
// temporary directory, and returns its URL. It sets the password variables
// with t.Setenv, so a test that calls it cannot be parallel.
func StartDeployServer(t *testing.T) string {
	t.Helper()
	for user, pw := range deployPasswords {
		t.Setenv("NATS_"+strings.ToUpper(user)+"_PASSWORD", pw)
	}
	opts, err := server.ProcessConfigFile(deployConf)
	if err != nil {
		t.Fatalf("%s: %v", deployConf, err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server from the deploy configuration not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

// Role is a connection logged in as one of the configuration's users.
type Role struct {
	NC   *nats.Conn
	JS   jetstream.JetStream
	Errs *asyncErrors
}

// ConnectAs logs in as user through natsjs.Connect.
func ConnectAs(tb testing.TB, url, user string) *Role {
	tb.Helper()
	errs := &asyncErrors{}
	nc, err := natsjs.Connect(natsjs.ClientConfig{URL: url, User: user, Password: deployPasswords[user], Name: "test-" + user}, nil, slog.New(errs))
	if err != nil {
		tb.Fatalf("connect as %s: %v", user, err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return &Role{NC: nc, JS: js, Errs: errs}
}

// request sends a raw JetStream API request and returns the answer.
func (r *Role) request(ctx context.Context, subject string, body any) (*nats.Msg, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return r.NC.RequestWithContext(ctx, subject, b)
}

// deniedCase is an operation a role must not be able to do: it fails, and
// the server reports a permission violation for the subject.
type deniedCase struct {
	name    string
	op      func(ctx context.Context, r *Role) error
	subject string // prefix of the denied subject; "sub:" for a subscription
}

func runDenied(t *testing.T, r *Role, cases []deniedCase) {
	t.Helper()
	// Each denied request waits out its timeout: run them all at once.
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 750*time.Millisecond)
			defer cancel()
			errs[i] = tc.op(ctx, r)
		})
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if errs[i] == nil {
				t.Fatalf("got no error, want a permission violation on %s", tc.subject)
			}
			want := `Permissions Violation for Publish to "` + tc.subject
			if sub, ok := strings.CutPrefix(tc.subject, "sub:"); ok {
				want = `Permissions Violation for Subscription to "` + sub
			}
			if !r.Errs.waitFor(want) {
				t.Errorf("no %q reported; the client logged:\n%s", want, r.Errs)
			}
		})
	}
}

const eventSubject = "coalition.paris-2015.FRA.pledge"

func testEvent(tb testing.TB, id string) *schema.Event {
	tb.Helper()
	ev, err := schema.ParseEvent([]byte(`{"id":"` + id + `","kind":"pledge","coalition":"paris-2015","actor":"FRA","occurred_at":"2015-11-16T10:00:00Z",
		"source":"https://example.org/fra","pledge":{"commitment_id":"fra-1","category":"military","asset":"aircraft","quantity":12,"unit":"aircraft"}}`))
	if err != nil {
		tb.Fatal(err)
	}
	return &ev
}

// TestDeployPermissions starts nats-server from the sample configuration
// and checks, user by user, what each may and may not do: the producer
// publishes and nothing else; the reader reads and changes nothing; the
// consumer runs what serve runs, and deletes nothing.
func TestDeployPermissions(t *testing.T) {
	url := StartDeployServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	consumer := ConnectAs(t, url, "consumer")
	producer := ConnectAs(t, url, "producer")
	reader := ConnectAs(t, url, "reader")
	admin := ConnectAs(t, url, "admin")

	// The consumer creates the streams, as serve does at start-up.
	if err := natsjs.EnsureStreams(ctx, consumer.JS, natsjs.StreamConfig{}); err != nil {
		t.Fatalf("consumer: EnsureStreams: %v\n%s", err, consumer.Errs)
	}
	writerConfig := jetstream.ConsumerConfig{
		Durable: "clickhouse-writer", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: schema.StreamSubjects, AckWait: 30 * time.Second,
	}
	if _, err := consumer.JS.CreateOrUpdateConsumer(ctx, natsjs.EventStream, writerConfig); err != nil {
		t.Fatalf("consumer: create the durable: %v\n%s", err, consumer.Errs)
	}

	t.Run("Producer", func(t *testing.T) {
		pub, err := producers.NewPublisher(producer.NC, producers.WithLogger(slog.New(producer.Errs)))
		if err != nil {
			t.Fatal(err)
		}
		res := pub.Publish(ctx, testEvent(t, "0190f5e8-4c00-7a00-8000-000000000001"))
		if res.Err != nil || res.Seq != 1 {
			t.Fatalf("publish an event: got seq %d, err %v, want seq 1\n%s", res.Seq, res.Err, producer.Errs)
		}
		t.Run("Denied", func(t *testing.T) {
			runDenied(t, producer, []deniedCase{
				{"ErrCreateConsumer", func(ctx context.Context, r *Role) error {
					_, err := r.JS.CreateConsumer(ctx, natsjs.EventStream, jetstream.ConsumerConfig{Durable: "producer-peek", AckPolicy: jetstream.AckExplicitPolicy})
					return err
				}, "$JS.API.CONSUMER.CREATE.COALITION_EVENTS.producer-peek"},
				{"ErrFetch", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.CONSUMER.MSG.NEXT.COALITION_EVENTS.clickhouse-writer", map[string]any{"batch": 1, "no_wait": true})
					return err
				}, "$JS.API.CONSUMER.MSG.NEXT.COALITION_EVENTS.clickhouse-writer"},
				{"ErrStreamInfo", func(ctx context.Context, r *Role) error {
					_, err := r.JS.Stream(ctx, natsjs.EventStream)
					return err
				}, "$JS.API.STREAM.INFO.COALITION_EVENTS"},
				{"ErrGetMessage", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.STREAM.MSG.GET.COALITION_EVENTS", map[string]any{"seq": 1})
					return err
				}, "$JS.API.STREAM.MSG.GET.COALITION_EVENTS"},
				{"ErrPurgeStream", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.STREAM.PURGE.COALITION_EVENTS", map[string]any{})
					return err
				}, "$JS.API.STREAM.PURGE.COALITION_EVENTS"},
				{"ErrDeleteStream", func(ctx context.Context, r *Role) error {
					return r.JS.DeleteStream(ctx, natsjs.EventStream)
				}, "$JS.API.STREAM.DELETE.COALITION_EVENTS"},
				{"ErrDeleteConsumer", func(ctx context.Context, r *Role) error {
					return r.JS.DeleteConsumer(ctx, natsjs.EventStream, "clickhouse-writer")
				}, "$JS.API.CONSUMER.DELETE.COALITION_EVENTS.clickhouse-writer"},
				{"ErrPublishAlert", func(ctx context.Context, r *Role) error {
					_, err := r.JS.Publish(ctx, natsjs.AlertSubject("forged"), []byte(`{}`))
					return err
				}, "coalition.alerts.forged"},
				{"ErrPublishDeadLetter", func(ctx context.Context, r *Role) error {
					_, err := r.JS.Publish(ctx, natsjs.DeadLetterSubject, []byte(`{}`))
					return err
				}, "coalition.dlq.events"},
				{"ErrSubscribeEvents", func(ctx context.Context, r *Role) error {
					sub, err := r.NC.SubscribeSync("coalition.>")
					if err != nil {
						return err
					}
					defer sub.Unsubscribe()
					_, err = sub.NextMsgWithContext(ctx)
					return err
				}, "sub:coalition.>"},
			})
		})
	})

	t.Run("Consumer", func(t *testing.T) {
		cons, err := consumer.JS.Consumer(ctx, natsjs.EventStream, "clickhouse-writer")
		if err != nil {
			t.Fatal(err)
		}
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			if err := msg.DoubleAck(ctx); err != nil {
				t.Errorf("ack: %v\n%s", err, consumer.Errs)
			}
		}
		if n != 1 || batch.Error() != nil {
			t.Fatalf("fetch: got %d messages, err %v, want 1\n%s", n, batch.Error(), consumer.Errs)
		}
		for subject, stream := range map[string]string{
			natsjs.DeadLetterSubject:          natsjs.DeadLetterStream,
			natsjs.AlertSubject("test-rule"):  natsjs.AlertStream,
			"coalition.alerts-dlq.subscriber": natsjs.AlertDeadLetterStream,
		} {
			ack, err := consumer.JS.Publish(ctx, subject, []byte(`{}`))
			if err != nil || ack.Stream != stream {
				t.Errorf("publish to %s: got %+v, %v; want a PubAck from %s", subject, ack, err, stream)
			}
		}
		for _, bucket := range []string{"coalition_alerts", "coalition_alerts_lease"} {
			kv, err := consumer.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 1})
			if err != nil {
				t.Fatalf("key-value bucket %s: %v\n%s", bucket, err, consumer.Errs)
			}
			if _, err := kv.Put(ctx, "alerts-evaluator", []byte("42")); err != nil {
				t.Errorf("%s: put: %v", bucket, err)
			}
			if e, err := kv.Get(ctx, "alerts-evaluator"); err != nil || string(e.Value()) != "42" {
				t.Errorf("%s: get: %v", bucket, err)
			}
		}
		t.Run("Denied", func(t *testing.T) {
			runDenied(t, consumer, []deniedCase{
				{"ErrDeleteStream", func(ctx context.Context, r *Role) error {
					return r.JS.DeleteStream(ctx, natsjs.EventStream)
				}, "$JS.API.STREAM.DELETE.COALITION_EVENTS"},
				{"ErrPurgeStream", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.STREAM.PURGE.COALITION_EVENTS", map[string]any{})
					return err
				}, "$JS.API.STREAM.PURGE.COALITION_EVENTS"},
				{"ErrCreateOtherStream", func(ctx context.Context, r *Role) error {
					_, err := r.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
					return err
				}, "$JS.API.STREAM.CREATE.OTHER"},
				{"ErrOtherBucket", func(ctx context.Context, r *Role) error {
					_, err := r.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "other"})
					return err
				}, "$JS.API.STREAM.CREATE.KV_other"},
			})
		})
	})

	t.Run("Reader", func(t *testing.T) {
		oc, err := reader.JS.OrderedConsumer(ctx, natsjs.EventStream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			t.Fatalf("ordered consumer: %v\n%s", err, reader.Errs)
		}
		msg, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil || msg.Subject() != eventSubject {
			t.Fatalf("ordered consumer: got %v, want the event on %s\n%s", err, eventSubject, reader.Errs)
		}
		str, err := reader.JS.Stream(ctx, natsjs.EventStream)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := str.GetMsg(ctx, 1); err != nil || m.Subject != eventSubject {
			t.Errorf("read message 1: got %v, want the event", err)
		}
		sub, err := reader.NC.SubscribeSync("coalition.>")
		if err != nil {
			t.Fatal(err)
		}
		if err := reader.NC.Flush(); err != nil {
			t.Fatal(err)
		}
		pub, err := producers.NewPublisher(producer.NC)
		if err != nil {
			t.Fatal(err)
		}
		if res := pub.Publish(ctx, testEvent(t, "0190f5e8-4c00-7a00-8000-000000000002")); res.Err != nil {
			t.Fatal(res.Err)
		}
		if m, err := sub.NextMsg(5 * time.Second); err != nil || m.Subject != eventSubject {
			t.Errorf("subscribe coalition.>: got %v, want the new event", err)
		}
		t.Run("Denied", func(t *testing.T) {
			runDenied(t, reader, []deniedCase{
				{"ErrPublishEvent", func(ctx context.Context, r *Role) error {
					_, err := r.JS.Publish(ctx, "coalition.paris-2015.DEU.pledge", []byte(`{}`))
					return err
				}, "coalition.paris-2015.DEU.pledge"},
				{"ErrDeleteStream", func(ctx context.Context, r *Role) error {
					return r.JS.DeleteStream(ctx, natsjs.EventStream)
				}, "$JS.API.STREAM.DELETE.COALITION_EVENTS"},
				{"ErrPurgeStream", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.STREAM.PURGE.COALITION_EVENTS", map[string]any{})
					return err
				}, "$JS.API.STREAM.PURGE.COALITION_EVENTS"},
				{"ErrDeleteMessage", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.STREAM.MSG.DELETE.COALITION_EVENTS", map[string]any{"seq": 1})
					return err
				}, "$JS.API.STREAM.MSG.DELETE.COALITION_EVENTS"},
				{"ErrUpdateWritersDurable", func(ctx context.Context, r *Role) error {
					cfg := writerConfig
					cfg.FilterSubject = "coalition.nothing.*.*"
					_, err := r.JS.CreateOrUpdateConsumer(ctx, natsjs.EventStream, cfg)
					return err
				}, "$JS.API.CONSUMER.CREATE.COALITION_EVENTS.clickhouse-writer"},
				{"ErrFetchFromWritersDurable", func(ctx context.Context, r *Role) error {
					_, err := r.request(ctx, "$JS.API.CONSUMER.MSG.NEXT.COALITION_EVENTS.clickhouse-writer", map[string]any{"batch": 1, "no_wait": true})
					return err
				}, "$JS.API.CONSUMER.MSG.NEXT.COALITION_EVENTS.clickhouse-writer"},
				{"ErrDeleteConsumer", func(ctx context.Context, r *Role) error {
					return r.JS.DeleteConsumer(ctx, natsjs.EventStream, "clickhouse-writer")
				}, "$JS.API.CONSUMER.DELETE.COALITION_EVENTS.clickhouse-writer"},
				{"ErrCreateStream", func(ctx context.Context, r *Role) error {
					_, err := r.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}})
					return err
				}, "$JS.API.STREAM.CREATE.OTHER"},
			})
		})
	})

	// Nothing the producer, the reader or the consumer tried changed the
	// stream or the writer's durable.
	t.Run("Unchanged", func(t *testing.T) {
		str, err := admin.JS.Stream(ctx, natsjs.EventStream)
		if err != nil {
			t.Fatal(err)
		}
		if got := str.CachedInfo().State.Msgs; got != 2 {
			t.Errorf("event stream: got %d messages, want 2", got)
		}
		info, err := admin.JS.Consumer(ctx, natsjs.EventStream, "clickhouse-writer")
		if err != nil {
			t.Fatal(err)
		}
		if got := info.CachedInfo().Config.FilterSubject; got != schema.StreamSubjects {
			t.Errorf("writer's durable filter: got %q, want %q", got, schema.StreamSubjects)
		}
		if _, err := admin.JS.Consumer(ctx, natsjs.EventStream, "producer-peek"); err == nil {
			t.Error("the producer's consumer exists")
		}
	})
}

// TestDeployConfigNeedsPasswords checks that the server refuses the sample
// configuration when a password variable is missing, instead of starting
// with an empty password.
func TestDeployConfigNeedsPasswords(t *testing.T) {
	for user, pw := range deployPasswords {
		t.Setenv("NATS_"+strings.ToUpper(user)+"_PASSWORD", pw)
	}
	os.Unsetenv("NATS_READER_PASSWORD") // t.Setenv restores it
	_, err := server.ProcessConfigFile(deployConf)
	if err == nil || !strings.Contains(err.Error(), "NATS_READER_PASSWORD") {
		t.Fatalf("got %v, want an error naming NATS_READER_PASSWORD", err)
	}
}
