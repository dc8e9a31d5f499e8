// Command serve runs the whole HTTP API locally (`make run`): it starts DynamoDB Local
// with its data on disk, creates the table if missing, seeds it when empty and serves
// every route of all five Lambda functions from one process, with the very handler the
// Lambdas use, plus the OpenAPI document and the demo page at / (demo.go). Ctrl-C
// (SIGINT) or SIGTERM shuts the server down and stops the engine.
//
// It is a good citizen on the machine: a taken API or engine port is a startup error that
// names it (it never serves from an engine it did not start), the engine listens on
// 127.0.0.1 only and on a free port, and it dies with this process even on kill -9
// (pkg/ddblocal says how, and where that does not hold). Should the engine exit, the
// server stops too, rather than talk to whatever takes the port next.
//
//	go run ./scripts/serve [-addr 127.0.0.1:8080] [-data .local/ddb-data] [-cors http://localhost:5173] [-scopes 'persons/read persons/write']
//
// There is no identity provider locally: every request gets the scopes of -scopes (env
// PERSONS_LOCAL_SCOPES), by default read and write without bank details, so IBANs are
// masked as most callers will see them. -scopes 'persons/read persons/write persons/bank'
// shows them in full; -scopes persons/read makes a read-only API.
package main

import (
	"cmp"
	"context"
	"errors"
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
	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/seed"
	"github.com/personsapi/persons/pkg/tracing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, table, dataDir, endpoint, cors string
	scopes                               string
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
	flag.IntVar(&c.ddbPort, "ddb-port", 0, "port for the DynamoDB Local started here (0 = a free one); a taken port is an error")
	flag.StringVar(&c.cors, "cors", os.Getenv(deploy.EnvCORSOrigins), "comma-separated browser origins allowed by CORS (env CORS_ORIGINS)")
	flag.IntVar(&c.seedCount, "seed-count", 50, "persons to seed when the table is empty (0 = none)")
	flag.Int64Var(&c.seed, "seed", seed.DefaultSeed, "random seed of the seed data")
	flag.StringVar(&c.scopes, "scopes", os.Getenv(deploy.EnvLocalScopes),
		"the scopes of every request, space-separated (env "+deploy.EnvLocalScopes+"; default: read and write); persons/bank shows full IBANs")
	flag.Parse()
	return c
}

func run() error {
	c := parseFlags()
	// Every line of a request names it (reqlog.Handler), the SDK's too.
	log := slog.New(reqlog.Handler(slog.NewJSONHandler(os.Stderr, nil)))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	origins, err := cors.ParseOrigins(c.cors)
	if err != nil {
		return fmt.Errorf("-cors: %w", err)
	}
	// The functions' settings, read the same way: the request deadline, and the cursor
	// keys (without them the store signs with a random key, so cursors do not survive a
	// restart of make run).
	timeout, err := api.ParseRequestTimeout(os.Getenv(deploy.EnvRequestTimeout))
	if err != nil {
		return fmt.Errorf("%s: %w", deploy.EnvRequestTimeout, err)
	}
	var storeOpts []persons.Option
	if v := os.Getenv(deploy.EnvCursorKeys); v != "" {
		keys, err := persons.ParseCursorKeys(v)
		if err != nil {
			return fmt.Errorf("%s: %w", deploy.EnvCursorKeys, err)
		}
		storeOpts = append(storeOpts, persons.WithCursorKeys(keys...))
	}
	// Listen first: a taken port fails before the engine starts.
	ln, err := net.Listen("tcp", c.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("API address %s is already in use (another make run?): pick another with PORT=9090 make run or -addr", c.addr)
	}
	if err != nil {
		return fmt.Errorf("API address %s: %w", c.addr, err)
	}
	defer ln.Close()

	engineInfo := "DynamoDB " + c.endpoint + " (given with -endpoint)"
	var engineDone <-chan struct{} // stays nil, never ready, with -endpoint
	if c.endpoint == "" {
		engine, err := startEngine(ctx, c)
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintln(os.Stderr, "stopping DynamoDB Local")
			engine.Stop()
		}()
		c.endpoint, engineDone = engine.Endpoint, engine.Done()
		where := "127.0.0.1 only"
		if engine.AllInterfaces {
			where = "EVERY interface: other machines can reach it"
			fmt.Fprintln(os.Stderr, "warning: this Java cannot run DynamoDB Local's loopback launcher (it needs the jdk.compiler module, as in a JDK), so DynamoDB Local listens on every interface")
		}
		engineInfo = fmt.Sprintf("DynamoDB Local %s (pid %d, listening on %s; it stops with this server)", c.endpoint, engine.PID(), where)
	}
	// Tracing as in the Lambdas, when OTEL_EXPORTER_OTLP_ENDPOINT names a collector
	// (any OTLP/HTTP receiver, e.g. Jaeger's on :4318). A long-running server exports
	// in the background: no flush per request.
	tp, err := tracing.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	// Request counting for the access log, as in the Lambdas.
	db := ddblocal.Client(c.endpoint, ddbstats.Counting, tp.Configure)
	if _, err := persons.CreateTable(ctx, db, c.table); err != nil {
		return err
	}
	store := persons.New(db, c.table, storeOpts...)
	// The change feed's processor, as deployed (changes.Log.Handle), over DynamoDB
	// Local's stream: it starts before the seed, so seeded items are in the feed too.
	streamARN, err := changes.StreamARN(ctx, db, c.table)
	if err != nil {
		return err
	}
	poller := &changes.Poller{
		Streams:   ddblocal.StreamsClient(c.endpoint),
		StreamARN: streamARN,
		Handler:   (&changes.Log{DB: db, Table: c.table, Logger: log}).Handle,
		Log:       log,
	}
	pctx, stopPoller := context.WithCancel(ctx)
	pollerDone := make(chan struct{})
	go func() { defer close(pollerDone); _ = poller.Run(pctx) }()
	defer func() { stopPoller(); <-pollerDone }()
	if err := seedIfEmpty(ctx, db, store, c); err != nil {
		return err
	}

	// The scope names an external issuer would use apply here too, so a developer can
	// try that configuration; -scopes names scopes in the same terms.
	names, err := api.ScopeNamesFromEnv(os.Getenv, deploy.EnvScopeRead, deploy.EnvScopeWrite, deploy.EnvScopeBank)
	if err != nil {
		return err
	}
	scopes := api.Scopes{Read: true, Write: true}
	if c.scopes != "" {
		scopes = names.Parse(c.scopes)
	}
	h := api.NewHandler(api.Options{
		ScopeNames:     names,
		Store:          store,
		Logger:         log,
		CORSOrigins:    origins,
		RequestTimeout: timeout,
		Extra:          extraRoutes(),
		Tracer:         tp.TracerProvider(),
	})
	// ReadTimeout bounds a client that stalls its upload (bodies are at most 64 KiB);
	// the handler's own deadline starts only once the body is being read.
	srv := &http.Server{Handler: api.WithFixedScopes(h, scopes), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: timeout}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(os.Stderr, `
persons API on %[1]s  (all routes of the 5 functions; table %[2]q)
  %[3]s
  curl -s '%[1]s/persons?limit=3'
  curl -s "%[1]s/persons/$(curl -s '%[1]s/persons?limit=1' | sed -E 's/.*"id":"([^"]+)".*/\1/')?include=all"
  curl -s '%[1]s/changes'   (the change feed: follow nextCursor)
  OpenAPI: %[1]s/openapi.json   CORS origins: %[4]q
  demo page: %[1]s/%[5]s
  every request has the scopes %[6]q (-scopes or %[7]s; IBANs are masked without %[8]s)
Ctrl-C stops the server and DynamoDB Local.

`, url, c.table, engineInfo, c.cors, map[bool]string{true: "", false: "  (not built: make demo)"}[demoBuilt()],
		names.Format(scopes), deploy.EnvLocalScopes, names.Bank)

	select {
	case err := <-served:
		return err
	case <-engineDone:
		// Go on without it and the next engine on its port would be answering.
		return errors.New("DynamoDB Local exited; stopping the server (engine log: " + engineLog(c) + ")")
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C kills us the default way
	fmt.Fprintln(os.Stderr, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// engineLog is the file that receives the engine's output: next to its data folder.
func engineLog(c config) string {
	return filepath.Join(filepath.Dir(filepath.Clean(c.dataDir)), "ddb-run.log")
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
	logFile, err := os.Create(engineLog(c))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "starting DynamoDB Local (data in %s, log in %s)\n", c.dataDir, logFile.Name())
	engine, err := ddblocal.Start(ctx, ddblocal.Options{Port: c.ddbPort, DataDir: c.dataDir, Log: logFile})
	if errors.Is(err, ddblocal.ErrPortInUse) {
		return nil, fmt.Errorf("%w\nserve only uses a DynamoDB Local it started itself: stop what holds the port, or leave out -ddb-port for a free one", err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (engine log: %s)", err, logFile.Name())
	}
	return engine, nil
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
