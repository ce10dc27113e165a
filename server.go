// Command weda-gateway serves a GraphQL graph over the WeDa workflow OpenAPI.
//
//	go run .                                   the gateway (with an embedded sandbox when no WeDa is configured)
//	go run . sandbox -addr 127.0.0.1:8081      the WeDa sandbox alone, for front-end work and benchmarks
//	weda-gateway healthcheck                   exits 0 when the gateway on PORT answers /healthz (for Docker)
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, log); err != nil {
		log.Error("exiting", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 && args[0] == "sandbox" {
		return runSandbox(ctx, args[1:], stdout, log)
	}
	if len(args) == 1 && args[0] == "healthcheck" {
		return healthcheck(ctx, getenv)
	}
	if len(args) > 0 {
		return fmt.Errorf("usage: weda-gateway [sandbox -addr HOST:PORT | healthcheck]")
	}
	cfg, err := gateway.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	g, err := gateway.New(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		_ = g.Close(context.Background())
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stdout, "WeDa GraphQL gateway on http://localhost:%d/ (GraphiQL) and http://localhost:%d/graphql\n", port, port)
	return g.Serve(ctx, ln)
}

func runSandbox(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	seed := fs.Uint64("seed", 1, "seed of the demo data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sb, err := sandbox.Start(*addr, sandbox.Options{Seed: *seed}, log)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintf(stdout, "WeDa sandbox listening on %s\n", sb.URL)
	fmt.Fprintf(stdout, "  WEDA_BASE_URL=%s WEDA_SECRET_ID=%s WEDA_SECRET_KEY=%s\n", sb.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey)
	fmt.Fprintf(stdout, "  demo user %s: %s\n", sandbox.DemoUser, sb.UserID(sandbox.DemoUser))
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sb.Close(shutdown)
}

// healthcheck asks the gateway on this machine's PORT whether it is alive: the distroless image
// has no shell or curl for Docker's HEALTHCHECK to use.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	return nil
}
