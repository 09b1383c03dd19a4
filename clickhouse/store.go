package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says how to reach ClickHouse.
type Config struct {
	Addrs    []string // host:port of the native protocol; several for failover
	User     string
	Password string
	Database string // created by Open if missing; default "coalition"
	Logger   *slog.Logger
}

// Store reads and writes Coalition's tables. It is safe for concurrent use.
type Store struct {
	conn    driver.Conn
	db      string
	log     *slog.Logger
	slicing slicing
	flight  flightGroup
	version [2]int // server major and minor
	// computed counts the status computations from the events.
	computed atomic.Uint64
}

// StatusComputations returns how many times this Store has computed a
// status from the stored events (rather than reading a snapshot).
func (s *Store) StatusComputations() uint64 { return s.computed.Load() }

// Open connects to ClickHouse, creates the database if it does not exist,
// and checks the connection. It does not apply migrations: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("clickhouse: no address given")
	}
	if cfg.Database == "" {
		cfg.Database = "coalition"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	open := func(db string) (driver.Conn, error) {
		return ch.Open(&ch.Options{
			Addr:             cfg.Addrs,
			Protocol:         ch.Native,
			Auth:             ch.Auth{Database: db, Username: cfg.User, Password: cfg.Password},
			DialTimeout:      5 * time.Second,
			ReadTimeout:      60 * time.Second,
			ConnOpenStrategy: ch.ConnOpenInOrder,
			MaxOpenConns:     8,
			MaxIdleConns:     4,
		})
	}
	conn, err := open(cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
	}
	err = conn.Ping(ctx)
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == 81 { // UNKNOWN_DATABASE: create it, then connect again
		conn.Close()
		if err := createDatabase(ctx, open, cfg.Database); err != nil {
			return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
		}
		if conn, err = open(cfg.Database); err != nil {
			return nil, fmt.Errorf("clickhouse at %v: %w", cfg.Addrs, err)
		}
		err = conn.Ping(ctx)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse at %v: ping: %w", cfg.Addrs, err)
	}
	st := &Store{conn: conn, db: cfg.Database, log: cfg.Logger, slicing: slicing{slicedRows, rowsPerSlice}}
	if v, err := conn.ServerVersion(); err == nil {
		st.version = [2]int{int(v.Version.Major), int(v.Version.Minor)}
	}
	return st, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Database returns the name of the database the store uses.
func (s *Store) Database() string { return s.db }

// Migrate applies the embedded migrations that are not yet recorded in
// schema_migrations. Statements are idempotent, so concurrent or repeated
// runs are safe.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	applied := map[uint32]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations")
	var ex *ch.Exception
	switch {
	case errors.As(err, &ex) && ex.Code == codeUnknownTable: // first run
	case err != nil:
		return fmt.Errorf("read schema_migrations: %w", err)
	default:
		for rows.Next() {
			var v uint32
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := s.conn.Exec(ctx, stmt); err != nil && !AlreadyApplied(err) {
				return fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Append(m.Version, m.Name, time.Now().UTC()); err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		s.log.Info("applied migration", "version", m.Version, "name", m.Name)
	}
	return nil
}

// createDatabase creates db through a connection to the default database.
func createDatabase(ctx context.Context, open func(string) (driver.Conn, error), db string) error {
	boot, err := open("default")
	if err != nil {
		return err
	}
	defer boot.Close()
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(db)); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

// ClickHouse error codes the store handles.
const (
	codeUnknownTable   = 60
	codeIllegalColumn  = 44 // 18.16: "Cannot add column x: column with this name already exists"
	codeDuplicateColum = 15
)

// IsRefusal reports whether err is ClickHouse refusing the statement (an
// exception from the server, such as a value it cannot store), as opposed
// to not being reached (a refused connection, a timeout), which may pass.
func IsRefusal(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex)
}

// AlreadyApplied reports whether a DDL error says the change is already
// there (a column added by an earlier or concurrent run), which a migration
// treats as done: 18.16 has no ADD COLUMN IF NOT EXISTS.
func AlreadyApplied(err error) bool {
	var ex *ch.Exception
	if errors.As(err, &ex) && (ex.Code == codeIllegalColumn || ex.Code == codeDuplicateColum) {
		return strings.Contains(ex.Message, "already exists")
	}
	return false
}

func quoteIdent(s string) string { return "`" + s + "`" }

// ServerVersion returns the server's version, such as "18.16.1".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	v, err := s.conn.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("clickhouse server version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}
