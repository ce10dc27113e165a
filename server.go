// Command weda-gateway serves a GraphQL graph over the WeDa workflow OpenAPI.
//
//	go run .                                   the gateway (with an embedded sandbox when no WeDa is configured)
//	go run . sandbox -addr 127.0.0.1:8081      the WeDa sandbox alone, for front-end work and benchmarks
//	weda-gateway healthcheck                   exits 0 when the gateway on PORT answers /healthz (for Docker)
//	weda-gateway version                       prints the version and commit
//	weda-gateway --help                        lists the subcommands and every setting with its default
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: &logLevel}))
	// Libraries that print on their own (go-redis, the log package, OpenTelemetry) print
	// through log too: stderr carries JSON lines only. Their setters are process-wide: once, here.
	gateway.RouteLibraryLogs(log)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, log); err != nil {
		log.Error("exiting", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 && args[0] == "sandbox" {
		return runSandbox(ctx, args[1:], stdout, log)
	}
	if len(args) == 1 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, getenv)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, versionLine())
			return nil
		case "help", "--help", "-help", "-h":
			fmt.Fprint(stdout, gateway.Usage())
			return nil
		}
	}
	if len(args) > 0 {
		return fmt.Errorf("unknown arguments %q: weda-gateway --help lists the subcommands", args)
	}
	for _, w := range gateway.UnknownSettings(os.Environ()) {
		log.Warn(w)
	}
	cfg, err := gateway.ConfigFromEnv(getenv)
	var bad *gateway.ConfigError
	if errors.As(err, &bad) {
		// One record per problem, each naming its setting: read at a glance in any log viewer.
		for _, p := range bad.Problems {
			log.Error("bad setting", "problem", p)
		}
		return fmt.Errorf("%d settings refused (the lines above); weda-gateway --help lists what each accepts", len(bad.Problems))
	}
	if err != nil {
		return err
	}
	logLevel.Set(cfg.LogLevel)
	if pct, ok := gcPercent(getenv); ok {
		debug.SetGCPercent(pct)
	}
	cfg.Version, cfg.Commit = buildVersion()
	g, err := gateway.New(cfg, log)
	if err != nil {
		return err
	}
	host := cfg.ListenAddr
	if host == "" && g.Sandbox() != nil {
		// The sandbox trusts X-Weda-Roles: admin from anyone: keep it to this machine.
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	if err != nil {
		_ = g.Close(context.Background())
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stdout, "WeDa GraphQL gateway on http://localhost:%d/ (GraphiQL) and http://localhost:%d/graphql\n", port, port)
	log.Info("listening", "addr", ln.Addr().String(), "version", version)
	return g.Serve(ctx, ln)
}

// gcPercent is the GC target the gateway sets when the operator set none: 150, not Go's 100. A
// request allocates tens of kilobytes that die with it, over a live heap of a few megabytes, so
// at 100 the collector runs dozens of times a second under load. In the load harness, query A
// went from 0.40x the upstream at 100 (33 MiB peak RSS) to 0.45-0.47x at 150 (38 MiB) and at 200
// (40 MiB, the ceiling): 150 keeps the gain within the memory budget. GOMEMLIMIT (the
// Helm chart sets it from the memory limit) still bounds the heap. GOGC set, even to 100, wins.
func gcPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return 150, true
}

// version and commit are set at build time: -ldflags "-X main.version=1.2.3 -X main.commit=abc".
var (
	version = "dev"
	commit  = ""
)

// logLevel is the level of main's logger: info until LOG_LEVEL is read.
var logLevel slog.LevelVar

// versionLine is what `weda-gateway version` prints.
func versionLine() string {
	v, c := buildVersion()
	return fmt.Sprintf("weda-gateway %s (commit %s, %s)", v, c, runtime.Version())
}

// buildVersion is the version and commit set at build time; else a go-installed module's version
// and the commit the Go toolchain stamped into the binary.
func buildVersion() (v, c string) {
	v, c = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version // go install …@v1.2.3
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

func runSandbox(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	seed := fs.Uint64("seed", 1, "seed of the demo data")
	latency := fs.Duration("latency", 0, "delay every answer by this much, as a WeDa farther away would (the load harness's -latency)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the flag package printed the usage
		}
		return err
	}
	sb, err := sandbox.Start(*addr, sandbox.Options{Seed: *seed}, log)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if *latency > 0 {
		sb.SetLatency("", *latency, 0)
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
