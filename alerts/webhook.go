package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// WebhookConsumerPrefix starts the name of every subscriber's durable
// consumer on COALITION_ALERTS: webhook-<subscriber>.
const WebhookConsumerPrefix = "webhook-"

// HeaderDeliveryError is set on dead-letter records: the last failure.
const HeaderDeliveryError = "Coalition-Error"

// WebhookConfig configures a Deliverer. Zero values take the defaults.
type WebhookConfig struct {
	// MaxAttempts is how many times an alert is POSTed before it is
	// dead-lettered; default 8.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubling after
	// each further one (1s, 2s, 4s, ...), at most MaxBackoff (default 10m).
	// Default 1s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one POST, response included; default 10s.
	Timeout time.Duration
	// Client sends the POSTs; default a client with Timeout that does not
	// follow redirects (a 3xx counts as a failure).
	Client *http.Client
	// Clock stamps X-Coalition-Timestamp and the delivery state; default
	// time.Now.
	Clock func() time.Time
	// Metrics, if set, exports the delivery state to Prometheus (see
	// NewMetrics).
	Metrics *Metrics
	Logger  *slog.Logger
}

// DeliveryState is what happened to one subscriber's deliveries in this
// process since it started. (Metrics exports the same to Prometheus, with
// what is pending and dead-lettered read from NATS.)
type DeliveryState struct {
	Subscriber string   `json:"subscriber"`
	URL        string   `json:"url"` // the password of user info, if any, hidden
	Rules      []string `json:"rules"`
	// Delivered counts alerts the webhook took (a 2xx answer).
	Delivered uint64 `json:"delivered"`
	// FailedAttempts counts attempts that failed (no answer, or not 2xx);
	// DeadLettered the alerts given up on after the last attempt.
	FailedAttempts uint64 `json:"failed_attempts"`
	DeadLettered   uint64 `json:"dead_lettered"`
	// Retrying counts alerts waiting for their next attempt.
	Retrying int `json:"retrying"`
	// LastStatus is the HTTP status of the last attempt (0: no answer);
	// LastError why it failed ("" if it succeeded).
	LastStatus    int       `json:"last_status,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
	LastAttemptAt time.Time `json:"last_attempt_at,omitzero"`
	LastSuccessAt time.Time `json:"last_success_at,omitzero"`
}

// DeadLetter is the record published to coalition.alerts-dlq.<subscriber>
// when an alert could not be delivered after the last attempt.
type DeadLetter struct {
	Alert      json.RawMessage `json:"alert"` // the alert as it was POSTed
	AlertID    string          `json:"alert_id"`
	Rule       string          `json:"rule"`
	AlertSeq   uint64          `json:"alert_seq"` // its sequence on COALITION_ALERTS
	Subscriber string          `json:"subscriber"`
	URL        string          `json:"url"`
	Attempts   int             `json:"attempts"`
	LastStatus int             `json:"last_status,omitempty"`
	LastError  string          `json:"last_error"`
	At         time.Time       `json:"dead_lettered_at"`
}

// DeadLetterSubject returns the subject of a subscriber's dead letters.
func DeadLetterSubject(subscriber string) string { return "coalition.alerts-dlq." + subscriber }

// Deliverer POSTs alerts to the subscribers' webhooks. Each subscriber has
// a durable pull consumer, webhook-<name>, on COALITION_ALERTS, filtered to
// the rules that name it and created to deliver the alerts raised from then
// on; its worker delivers one alert at a time, at least once: an alert is
// acked after a 2xx answer, or after its dead-letter record is stored.
// Apply, Deliveries and Close are safe for concurrent use.
type Deliverer struct {
	js     jetstream.JetStream
	cfg    WebhookConfig
	log    *slog.Logger
	client *http.Client

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	workers map[string]*worker
}

// NewDeliverer returns a Deliverer with no subscribers; Apply gives it
// some.
func NewDeliverer(nc *nats.Conn, cfg WebhookConfig) (*Deliverer, error) {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{
			Timeout:       cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	base, cancel := context.WithCancel(context.Background())
	d := &Deliverer{js: js, cfg: cfg, log: cfg.Logger, client: client, base: base, cancel: cancel, workers: map[string]*worker{}}
	cfg.Metrics.attach(d)
	return d, nil
}

// worker delivers one subscriber's alerts.
type worker struct {
	name   string
	sub    atomic.Pointer[Subscriber]
	cc     atomic.Pointer[jetstream.ConsumerConfig]
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	state    DeliveryState
	retrying map[string]struct{}
}

func (d *Deliverer) consumerConfig(name string, rules []string) jetstream.ConsumerConfig {
	cc := jetstream.ConsumerConfig{
		Durable:       WebhookConsumerPrefix + name,
		Description:   "Coalition: delivers alerts to the webhook of subscriber " + name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       max(30*time.Second, 3*d.cfg.Timeout),
		DeliverPolicy: jetstream.DeliverNewPolicy,
		MaxDeliver:    -1, // attempts are counted here, to dead-letter after the last
		MaxAckPending: 1000,
	}
	subjects := make([]string, len(rules))
	for i, r := range rules {
		subjects[i] = natsjs.AlertSubject(r)
	}
	// The server turns a single FilterSubjects into FilterSubject.
	if len(subjects) == 1 {
		cc.FilterSubject = subjects[0]
	} else {
		cc.FilterSubjects = subjects
	}
	return cc
}

// Apply makes the subscribers of a rule set the delivered ones: it creates
// or updates each subscriber's durable consumer (filtered to the rules
// that name it) and starts its worker, and stops the workers and deletes
// the consumers of subscribers that are gone or named by no rule. URL and
// secret changes apply from the next attempt.
func (d *Deliverer) Apply(ctx context.Context, rs *RuleSet) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.base.Err() != nil {
		return errors.New("alerts: deliverer is closed")
	}
	var errs []error
	want := map[string]bool{}
	for _, s := range rs.Subscribers {
		rules := rs.RulesFor(s.Name)
		if len(rules) == 0 {
			continue
		}
		want[s.Name] = true
		cc := d.consumerConfig(s.Name, rules)
		if _, err := d.js.CreateOrUpdateConsumer(ctx, natsjs.AlertStream, cc); err != nil {
			errs = append(errs, fmt.Errorf("consumer %s: %w", cc.Durable, err))
			continue
		}
		w := d.workers[s.Name]
		fresh := w == nil
		if fresh {
			w = &worker{name: s.Name, done: make(chan struct{}), retrying: map[string]struct{}{}}
			w.state.Subscriber = s.Name
			d.workers[s.Name] = w
			d.cfg.Metrics.subscriberAdded(s.Name)
		}
		w.sub.Store(&s)
		w.cc.Store(&cc)
		w.mu.Lock()
		w.state.URL, w.state.Rules = redactURL(s.URL), rules
		w.mu.Unlock()
		if fresh {
			wctx, cancel := context.WithCancel(d.base)
			w.cancel = cancel
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				defer close(w.done)
				d.run(wctx, w)
			}()
		}
	}
	for name, w := range d.workers {
		if !want[name] {
			w.cancel()
			<-w.done
			delete(d.workers, name)
			d.cfg.Metrics.subscriberRemoved(name)
		}
	}
	// Remove the consumers of subscribers that are no longer delivered to,
	// including those removed while the process was down.
	if str, err := d.js.Stream(ctx, natsjs.AlertStream); err == nil {
		names := str.ConsumerNames(ctx)
		for n := range names.Name() {
			if sub, ok := strings.CutPrefix(n, WebhookConsumerPrefix); ok && !want[sub] {
				if err := str.DeleteConsumer(ctx, n); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
					errs = append(errs, fmt.Errorf("delete consumer %s: %w", n, err))
				} else {
					d.log.Info("webhook consumer removed", "consumer", n)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Deliveries returns every delivered subscriber's state, sorted by name.
func (d *Deliverer) Deliveries() []DeliveryState {
	d.mu.Lock()
	ws := make([]*worker, 0, len(d.workers))
	for _, w := range d.workers {
		ws = append(ws, w)
	}
	d.mu.Unlock()
	out := make([]DeliveryState, 0, len(ws))
	for _, w := range ws {
		w.mu.Lock()
		st := w.state
		st.Rules = append([]string(nil), st.Rules...)
		st.Retrying = len(w.retrying)
		w.mu.Unlock()
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subscriber < out[j].Subscriber })
	return out
}

// subscriberNames returns the names of the subscribers delivered to.
func (d *Deliverer) subscriberNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	names := make([]string, 0, len(d.workers))
	for name := range d.workers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Close stops every worker; an attempt in flight is abandoned and the
// alert redelivered later.
func (d *Deliverer) Close() {
	d.mu.Lock()
	d.cancel()
	d.mu.Unlock()
	d.wg.Wait()
}

// run fetches and delivers a subscriber's alerts until ctx ends.
func (d *Deliverer) run(ctx context.Context, w *worker) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if cons == nil {
			c, err := d.js.CreateOrUpdateConsumer(ctx, natsjs.AlertStream, *w.cc.Load())
			if err != nil {
				d.log.Warn("webhook consumer unavailable, retrying", "subscriber", w.name, "err", err)
				bo.wait(ctx)
				continue
			}
			cons = c
		}
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
		if err == nil {
			for msg := range batch.Messages() {
				d.deliver(ctx, w, msg)
			}
			err = batch.Error()
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				err = nil
			}
		}
		cancel()
		if err == nil {
			bo.reset()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("webhook fetch failed", "subscriber", w.name, "err", err)
		if lostConsumer(err) {
			cons = nil
		}
		bo.wait(ctx)
	}
}

// retryDelay is the wait after the n-th failed attempt.
func (d *Deliverer) retryDelay(n int) time.Duration {
	delay := d.cfg.Backoff
	for i := 1; i < n && delay < d.cfg.MaxBackoff; i++ {
		delay *= 2
	}
	return min(delay, d.cfg.MaxBackoff)
}

// deliver makes one attempt at one alert.
func (d *Deliverer) deliver(ctx context.Context, w *worker, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		_ = msg.Nak()
		return
	}
	attempt := int(md.NumDelivered)
	sub := w.sub.Load()
	body := msg.Data()
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.ID == "" {
		d.deadLetter(ctx, w, sub, msg, md, head.ID, 0, 0, "not an alert: the message is not JSON with an id")
		return
	}
	at := d.cfg.Clock()
	status, err := d.post(ctx, sub, head.ID, attempt, body, at)
	if err != nil && ctx.Err() != nil {
		_ = msg.Nak() // stopping: not an attempt that counts
		return
	}
	w.mu.Lock()
	w.state.LastStatus, w.state.LastAttemptAt = status, at.UTC()
	if err == nil {
		w.state.Delivered++
		w.state.LastError, w.state.LastSuccessAt = "", at.UTC()
		delete(w.retrying, head.ID)
	} else {
		w.state.FailedAttempts++
		w.state.LastError = err.Error()
	}
	w.mu.Unlock()
	if err == nil {
		d.cfg.Metrics.attempt(w.name, OutcomeDelivered, at)
	} else {
		d.cfg.Metrics.attempt(w.name, OutcomeFailed, at)
	}
	if err == nil {
		if aerr := msg.Ack(); aerr != nil {
			d.log.Warn("webhook: ack failed; the alert may be delivered again", "subscriber", w.name, "alert_id", head.ID, "err", aerr)
		}
		d.log.Info("alert delivered", "subscriber", w.name, "alert_id", head.ID, "attempt", attempt, "status", status)
		return
	}
	if attempt >= d.cfg.MaxAttempts {
		d.deadLetter(ctx, w, sub, msg, md, head.ID, attempt, status, err.Error())
		return
	}
	delay := d.retryDelay(attempt)
	w.mu.Lock()
	w.retrying[head.ID] = struct{}{}
	w.mu.Unlock()
	d.log.Warn("alert delivery failed, will retry", "subscriber", w.name, "alert_id", head.ID, "attempt", attempt,
		"max_attempts", d.cfg.MaxAttempts, "status", status, "err", err, "retry_in", delay)
	if nerr := msg.NakWithDelay(delay); nerr != nil {
		d.log.Warn("webhook: nak failed; the alert comes back after the ack wait", "subscriber", w.name, "alert_id", head.ID, "err", nerr)
	}
}

// post sends one attempt and returns the HTTP status (0 without an answer)
// and nil for a 2xx answer.
func (d *Deliverer) post(ctx context.Context, sub *Subscriber, id string, attempt int, body []byte, at time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "coalition-alerts/1")
	req.Header.Set(HeaderAlertID, id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(sub.Secret, ts, body))
	req.Header.Set("X-Coalition-Attempt", strconv.Itoa(attempt))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		msg += ": " + strings.ToValidUTF8(s, "?")
	}
	return resp.StatusCode, errors.New(msg)
}

// deadLetter records an alert given up on and acks it. If the record
// cannot be stored the alert is left to come back.
func (d *Deliverer) deadLetter(ctx context.Context, w *worker, sub *Subscriber, msg jetstream.Msg, md *jetstream.MsgMetadata, id string, attempts, status int, reason string) {
	raw := json.RawMessage(msg.Data())
	if !json.Valid(raw) {
		raw, _ = json.Marshal(string(msg.Data()))
	}
	rec := DeadLetter{
		Alert: raw, AlertID: id, Rule: strings.TrimPrefix(msg.Subject(), "coalition.alerts."), AlertSeq: md.Sequence.Stream,
		Subscriber: w.name, URL: redactURL(sub.URL), Attempts: attempts, LastStatus: status, LastError: reason,
		At: d.cfg.Clock().UTC(),
	}
	data, _ := json.Marshal(rec)
	m := nats.NewMsg(DeadLetterSubject(w.name))
	m.Data = data
	m.Header.Set(schema.HeaderContentType, schema.ContentTypeJSON)
	m.Header.Set(HeaderDeliveryError, truncate(reason, 4000))
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	dlID := fmt.Sprintf("%s/%s/%d", w.name, id, md.Sequence.Stream)
	if _, err := d.js.PublishMsg(pctx, m, jetstream.WithMsgID(dlID)); err != nil {
		d.log.Error("webhook: dead-letter publish failed; the alert comes back", "subscriber", w.name, "alert_id", id, "err", err)
		_ = msg.NakWithDelay(d.retryDelay(1))
		return
	}
	if err := msg.Ack(); err != nil {
		d.log.Warn("webhook: ack of a dead-lettered alert failed", "subscriber", w.name, "alert_id", id, "err", err)
	}
	w.mu.Lock()
	w.state.DeadLettered++
	delete(w.retrying, id)
	w.mu.Unlock()
	d.cfg.Metrics.attempt(w.name, OutcomeDeadLettered, rec.At)
	d.log.Error("alert dead-lettered", "subscriber", w.name, "alert_id", id, "attempts", attempts, "status", status, "reason", reason)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
