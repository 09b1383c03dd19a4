package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/coalitiondev/coalition/reference"
)

// InsertGDP stores GDP figures in reference_gdp, in one INSERT. A figure
// replaces any stored before for the same country and year: readers take
// the latest load. source names where the figures come from (a file name).
func (s *Store) InsertGDP(ctx context.Context, figures []reference.GDP, source string) error {
	return s.insertReference(ctx, "reference_gdp", "country, year, gdp_usd", len(figures), source, func(i int) (string, int, float64) {
		return figures[i].Country, figures[i].Year, figures[i].USD
	})
}

// InsertFX stores exchange rates in reference_fx, in one INSERT. A rate
// replaces any stored before for the same currency and year.
func (s *Store) InsertFX(ctx context.Context, rates []reference.Rate, source string) error {
	return s.insertReference(ctx, "reference_fx", "currency, year, per_usd", len(rates), source, func(i int) (string, int, float64) {
		return rates[i].Currency, rates[i].Year, rates[i].PerUSD
	})
}

// insertReference writes n rows of a reference table; row returns the key,
// the year and the figure of row i. Every row of one call shares a load id
// (the time in nanoseconds), which orders loads.
func (s *Store) insertReference(ctx context.Context, table, columns string, n int, source string, row func(int) (string, int, float64)) error {
	if n == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+", source, loaded_at, load_id)")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	defer b.Abort()
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		key, year, v := row(i)
		if err := b.Append(key, uint16(year), v, source, now, uint64(now.UnixNano())); err != nil {
			return fmt.Errorf("append %s %d to %s: %w", key, year, table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", n, table, err)
	}
	return nil
}
