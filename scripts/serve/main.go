// Command serve runs the whole HTTP API locally (`make run`): it starts DynamoDB Local
// with its data on disk, creates the table if missing, seeds it when empty and serves
// every route of all five Lambda functions from one process, with the very handler the
// Lambdas use, plus the OpenAPI document and the demo page at / (demo.go). Ctrl-C
// (SIGINT) or SIGTERM shuts the server down and stops the engine.
//
//	go run ./scripts/serve [-addr 127.0.0.1:8080] [-data .local/ddb-data] [-cors http://localhost:5173]
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/seed"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, table, dataDir, endpoint, cors string
	ddbPort, seedCount                   int
	seed                                 int64
}

func parseFlags() config {
	var c config
	port := cmp.Or(os.Getenv(deploy.EnvPort), "8080")
	flag.StringVar(&c.addr, "addr", "127.0.0.1:"+port, "address to serve the API on (env PORT sets the port)")
	flag.StringVar(&c.table, "table", cmp.Or(os.Getenv(deploy.EnvTableName), "persons"), "DynamoDB table (env TABLE_NAME)")
	flag.StringVar(&c.dataDir, "data", ".local/ddb-data", "folder where DynamoDB Local keeps its data")
	flag.StringVar(&c.endpoint, "endpoint", "", "use the DynamoDB (Local) at this URL instead of starting one")
	flag.IntVar(&c.ddbPort, "ddb-port", 0, "port for the DynamoDB Local started here (0 = a free one)")
	flag.StringVar(&c.cors, "cors", os.Getenv(deploy.EnvCORSOrigins), "comma-separated browser origins allowed by CORS (env CORS_ORIGINS)")
	flag.IntVar(&c.seedCount, "seed-count", 50, "persons to seed when the table is empty (0 = none)")
	flag.Int64Var(&c.seed, "seed", seed.DefaultSeed, "random seed of the seed data")
	flag.Parse()
	return c
}

func run() error {
	c := parseFlags()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	origins, err := cors.ParseOrigins(c.cors)
	if err != nil {
		return fmt.Errorf("-cors: %w", err)
	}
	// Listen first: a taken port fails before the engine starts.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	if c.endpoint == "" {
		engine, err := startEngine(ctx, c)
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintln(os.Stderr, "stopping DynamoDB Local")
			engine.Stop()
		}()
		c.endpoint = engine.Endpoint
	}
	// Request counting for the access log, as in the Lambdas.
	db := ddblocal.Client(c.endpoint, ddbstats.Counting)
	if _, err := persons.CreateTable(ctx, db, c.table); err != nil {
		return err
	}
	store := persons.New(db, c.table)
	if err := seedIfEmpty(ctx, db, store, c); err != nil {
		return err
	}

	h := api.NewHandler(api.Options{
		Store:       store,
		Logger:      log,
		CORSOrigins: origins,
		Extra:       extraRoutes(),
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(os.Stderr, `
persons API on %[1]s  (all routes of the 5 functions; table %[2]q on DynamoDB Local %[3]s)
  curl -s '%[1]s/persons?limit=3'
  curl -s "%[1]s/persons/$(curl -s '%[1]s/persons?limit=1' | sed -E 's/.*"id":"([^"]+)".*/\1/')?include=all"
  OpenAPI: %[1]s/openapi.json   CORS origins: %[4]q
  demo page: %[1]s/%[5]s
Ctrl-C stops the server and DynamoDB Local.

`, url, c.table, c.endpoint, c.cors, map[bool]string{true: "", false: "  (not built: make demo)"}[demoBuilt()])

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C kills us the default way
	fmt.Fprintln(os.Stderr, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// extraRoutes are served besides the API: the OpenAPI document and the demo page.
func extraRoutes() map[string]http.Handler {
	routes := demoRoutes()
	routes["GET /openapi.json"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(api.OpenAPI)
	})
	return routes
}

func startEngine(ctx context.Context, c config) (*ddblocal.Server, error) {
	if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(filepath.Dir(filepath.Clean(c.dataDir)), "ddb-run.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "starting DynamoDB Local (data in %s, log in %s)\n", c.dataDir, logPath)
	return ddblocal.Start(ctx, ddblocal.Options{Port: c.ddbPort, DataDir: c.dataDir, Log: logFile})
}

// seedIfEmpty fills an empty table with generated persons and their related items
// (pkg/seed, the generator of the seed Lambda and the persons CLI).
func seedIfEmpty(ctx context.Context, db *dynamodb.Client, store *persons.Store, c config) error {
	page, err := store.ListPersons(ctx, persons.ListPersonsOptions{Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Items) > 0 || c.seedCount == 0 {
		return nil
	}
	st, err := seed.Run(ctx, db, c.table, seed.Options{Count: c.seedCount, Seed: c.seed})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seeded the empty table: %d persons, %d items in %d requests, %v\n",
		st.Persons, st.Items, st.Requests, st.Duration.Round(time.Millisecond))
	return nil
}
