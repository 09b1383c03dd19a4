package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/coalitiondev/coalition/natsjs"
)

// Config configures a Service.
type Config struct {
	// RulesPath is the rules file (required).
	RulesPath string
	// PollInterval is how often the rules file is checked; default 1s.
	PollInterval time.Duration
	// Lookup expands ${VAR} in the rules file; default os.LookupEnv.
	Lookup LookupEnv
	// Clock is "now" for the engine and the deliveries; default time.Now.
	Clock func() time.Time
	// Engine and Webhooks tune the two parts; their Clock and Logger
	// default to the ones above.
	Engine   EngineConfig
	Webhooks WebhookConfig
	// Replicas of the alert streams when Start creates them; default 1.
	Replicas int
	Logger   *slog.Logger
}

// Service runs the rules watcher, the engine and the webhook deliverer
// together. Its methods are safe for concurrent use.
type Service struct {
	watcher   *Watcher
	engine    *Engine
	deliverer *Deliverer
	log       *slog.Logger

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once
}

// Start loads the rules (failing if they are invalid), creates the alert
// streams if they are missing, and starts the deliverer (first, so that no
// alert raised from now on misses its subscribers), the engine and the
// watcher. A rules file that changes and validates is applied to both;
// one that does not is logged and the previous rules stay in use. ctx
// bounds the start only; Close stops the Service.
func Start(ctx context.Context, nc *nats.Conn, cfg Config) (*Service, error) {
	if cfg.RulesPath == "" {
		return nil, errors.New("alerts: no rules file given")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Engine.Clock == nil {
		cfg.Engine.Clock = cfg.Clock
	}
	if cfg.Webhooks.Clock == nil {
		cfg.Webhooks.Clock = cfg.Clock
	}
	if cfg.Engine.Logger == nil {
		cfg.Engine.Logger = cfg.Logger
	}
	if cfg.Webhooks.Logger == nil {
		cfg.Webhooks.Logger = cfg.Logger
	}
	s := &Service{log: cfg.Logger}
	w, err := NewWatcher(cfg.RulesPath, WatcherConfig{Interval: cfg.PollInterval, Lookup: cfg.Lookup, Logger: cfg.Logger, OnChange: s.apply})
	if err != nil {
		return nil, err
	}
	s.watcher = w
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := EnsureAlertStreams(ctx, js, cfg.Replicas); err != nil {
		return nil, err
	}
	rules := w.Rules()
	if s.deliverer, err = NewDeliverer(nc, cfg.Webhooks); err != nil {
		return nil, err
	}
	if err := s.deliverer.Apply(ctx, rules); err != nil {
		s.deliverer.Close()
		return nil, fmt.Errorf("alerts: start webhook deliveries: %w", err)
	}
	if s.engine, err = NewEngine(nc, rules, cfg.Engine); err != nil {
		s.deliverer.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.engine.Run(runCtx); err != nil {
			s.log.Error("alert engine stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.watcher.Run(runCtx)
	}()
	s.log.Info("alerts started", "rules_file", cfg.RulesPath, "rules", len(rules.Rules), "subscribers", len(rules.Subscribers))
	return s, nil
}

// apply hands a reloaded rule set to the engine and the deliverer.
func (s *Service) apply(rs *RuleSet) {
	s.engine.SetRules(rs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.deliverer.Apply(ctx, rs); err != nil {
		s.log.Error("alert rules reloaded, but the webhook consumers were not all updated", "err", err)
	}
}

// Close stops the watcher, the engine (after the batch in flight) and the
// deliverer. It may be called more than once.
func (s *Service) Close() error {
	s.closeMu.Do(func() {
		s.cancel()
		s.wg.Wait()
		s.deliverer.Close()
	})
	return nil
}

// Rules returns the rules in use.
func (s *Service) Rules() *RuleSet { return s.watcher.Rules() }

// RulesError returns why the rules file's current content is not in use,
// or nil when it is.
func (s *Service) RulesError() error { return s.watcher.Err() }

// Deliveries returns each subscriber's delivery state.
func (s *Service) Deliveries() []DeliveryState { return s.deliverer.Deliveries() }

// Ready reports whether the engine has rebuilt its state and evaluates
// new events.
func (s *Service) Ready() bool { return s.engine.Ready() }

// Standby reports whether the engine waits while another process's engine
// evaluates (its webhook deliveries run all the same). For a readiness
// check, Ready() || Standby() is healthy.
func (s *Service) Standby() bool { return s.engine.Standby() }

// Stats returns the engine's running totals.
func (s *Service) Stats() EngineStats { return s.engine.Stats() }

// EnsureAlertStreams creates COALITION_ALERTS and COALITION_ALERTS_DLQ
// when they are missing. Existing streams are left as they are (serve's
// natsjs.EnsureStreams owns their limits).
func EnsureAlertStreams(ctx context.Context, js jetstream.JetStream, replicas int) error {
	c := natsjs.StreamConfig{Replicas: replicas}
	for _, sc := range []jetstream.StreamConfig{natsjs.AlertStreamConfig(c), natsjs.AlertDeadLetterStreamConfig(c)} {
		_, err := js.Stream(ctx, sc.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = js.CreateStream(ctx, sc)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("alert stream %s: %w", sc.Name, err)
		}
	}
	return nil
}
