// Command ferretdb runs FerretDB v1 (embedded) on the local PostgreSQL for development and tests.
//
// The upstream `cmd/ferretdb` cannot be `go install`ed at v1.24.2 (it panics at start), so this small main
// embeds the library instead. It listens on 127.0.0.1 only; the embedded build has no telemetry reporter,
// no debug listener and keeps its state in memory. Settings come from the environment:
//
//	FERRETDB_LISTEN_ADDR     TCP address to listen on (default 127.0.0.1:27017)
//	FERRETDB_POSTGRESQL_URL  PostgreSQL URL of FerretDB's own database
//	                         (default postgres://dataplatform:dataplatform@127.0.0.1:55432/ferretdb)
//	FERRETDB_LOG_LEVEL       debug, info, warn or error (default info)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env("FERRETDB_LOG_LEVEL", "info"))); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: FERRETDB_LOG_LEVEL: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	listen := env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: listen},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: env("FERRETDB_POSTGRESQL_URL", "postgres://dataplatform:dataplatform@127.0.0.1:55432/ferretdb"),
	})
	if err != nil {
		logger.Error("ferretdb: start failed", "error", err)
		os.Exit(1)
	}

	// SIGTERM/SIGINT cancel the context; Run then closes the listener, connections and the backend.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("ferretdb: listening", "addr", listen)
	if err := f.Run(ctx); err != nil {
		logger.Error("ferretdb: stopped with an error", "error", err)
		os.Exit(1)
	}
}
