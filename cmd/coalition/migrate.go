package main

import (
	"context"
	"fmt"
	"io"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg commonConfig
	f := newFlags("migrate", "Applies the ClickHouse migrations (idempotent; serve also applies them at start-up).", stderr, nil)
	cfg.registerBase(f)
	cfg.registerClickHouse(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	store, closeFn, err := openStore(ctx, &cfg, log) // openStore migrates
	if err != nil {
		return err
	}
	defer closeFn()
	fmt.Fprintf(stdout, "ClickHouse database %s is up to date\n", store.Database())
	return nil
}
