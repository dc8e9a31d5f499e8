package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"golang.org/x/term"

	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/seed"
)

// rieFunctionName is the only function name the Lambda Runtime Interface Emulator serves.
const rieFunctionName = "function"

const usage = `usage: persons seed [flags]

Fills the persons table with generated persons (the same --seed gives the same persons).

Flags:
  --count N            persons to write, 1–10000 (default 50)
  --seed S             generator seed (default 1)
  --clear              delete every person item first
  --json               print the statistics as JSON

Target (default: the deployed seed Lambda):
  --function NAME      seed Lambda name or ARN (default $PERSONS_SEED_FUNCTION, else
                       looked up in the stack's outputs)
  --stack NAME         CloudFormation stack to look the function up in (default Persons)
  --region R           AWS region (default from the AWS configuration)
  --profile P          AWS profile (default from the AWS configuration)
  --endpoint-url URL   invoke the Lambda at URL instead, e.g. the Lambda Runtime Interface
                       Emulator (function name defaults to "function")
  --local              run in-process against $AWS_ENDPOINT_URL_DYNAMODB
  --table NAME         table for --local (default $TABLE_NAME or "persons")
`

// usageError is a problem with the command line: exit status 2 and the usage text.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// config of one `persons seed` run.
type seedConfig struct {
	count       int
	seed        int64
	clear       bool
	json        bool
	function    string
	stack       string
	region      string
	profile     string
	endpointURL string
	local       bool
	table       string
}

// run is the CLI: it returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "seed" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprint(stderr, usage)
		return 2
	}
	c, err := parseSeed(args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "persons seed: %v\n\n%s", err, usage)
		return 2
	}
	st, err := runSeed(ctx, c, newProgress(stderr))
	if err != nil && c.local && ctx.Err() != nil {
		// Puts overwrite: the same command again finishes what was started.
		fmt.Fprintf(stderr, "persons seed: interrupted after %d of %d persons; run the same command again to finish\n", st.Persons, c.count)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "persons seed: %v\n", err)
		return 1
	}
	if c.json {
		b, _ := json.Marshal(st)
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprintln(stdout, summary(st))
	}
	return 0
}

// parseSeed parses the flags of `persons seed`; getenv supplies the defaults.
func parseSeed(args []string, getenv func(string) string) (seedConfig, error) {
	var c seedConfig
	fs := flag.NewFlagSet("persons seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&c.count, "count", seed.DefaultCount, "")
	fs.Int64Var(&c.seed, "seed", seed.DefaultSeed, "")
	fs.BoolVar(&c.clear, "clear", false, "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.StringVar(&c.function, "function", "", "")
	fs.StringVar(&c.stack, "stack", "", "")
	fs.StringVar(&c.region, "region", "", "")
	fs.StringVar(&c.profile, "profile", "", "")
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "")
	fs.BoolVar(&c.local, "local", false, "")
	fs.StringVar(&c.table, "table", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case c.local && c.endpointURL != "":
		return c, usageError{"--local and --endpoint-url exclude each other"}
	case c.local && (set["function"] || set["stack"] || set["region"] || set["profile"]):
		return c, usageError{"--function, --stack, --region and --profile select the Lambda; --local runs without it"}
	case !c.local && set["table"]:
		return c, usageError{"--table applies to --local only (the Lambda has its table)"}
	case c.endpointURL != "" && set["stack"]:
		return c, usageError{"--stack looks up a deployed function; --endpoint-url invokes a given endpoint"}
	case set["function"] && set["stack"]:
		return c, usageError{"give --function or --stack, not both"}
	}
	if c.local && c.table == "" {
		if c.table = getenv(deploy.EnvTableName); c.table == "" {
			c.table = "persons"
		}
	}
	if !c.local && c.function == "" {
		switch {
		case c.endpointURL != "":
			c.function = rieFunctionName
		case !set["stack"] && getenv(deploy.EnvSeedFunction) != "":
			c.function = getenv(deploy.EnvSeedFunction)
		case c.stack == "":
			c.stack = deploy.DefaultStackName
		}
	}
	return c, nil
}

// event is the seed Lambda's event for c. Every target validates it the Lambda's way
// (seed.ParseEvent), so a bad --count fails the same everywhere.
func (c seedConfig) event() []byte {
	b, _ := json.Marshal(seed.Event{Count: &c.count, Clear: &c.clear, Seed: &c.seed})
	return b
}

func runSeed(ctx context.Context, c seedConfig, p *progress) (seed.Stats, error) {
	if c.local {
		return seedLocal(ctx, c, p)
	}
	return invoke(ctx, c, p)
}

// seedLocal runs the seeder in-process against the DynamoDB at $AWS_ENDPOINT_URL_DYNAMODB,
// creating the table if it does not exist.
func seedLocal(ctx context.Context, c seedConfig, p *progress) (seed.Stats, error) {
	o, err := seed.ParseEvent(c.event())
	if err != nil {
		return seed.Stats{}, err
	}
	endpoint := os.Getenv(deploy.EnvDynamoDBEndpoint)
	if endpoint == "" {
		return seed.Stats{}, errors.New("--local needs " + deploy.EnvDynamoDBEndpoint + ", e.g. http://127.0.0.1:8000 (make ddb-up starts DynamoDB Local there)")
	}
	db := ddblocal.Client(endpoint, ddbstats.Counting)
	created, err := persons.CreateTable(ctx, db, c.table)
	if err != nil {
		return seed.Stats{}, fmt.Errorf("DynamoDB at %s: %w", endpoint, err)
	}
	if created {
		p.line(fmt.Sprintf("created table %s at %s", c.table, endpoint))
	}
	o.Progress = func(st seed.Stats) {
		p.update(fmt.Sprintf("%d/%d persons, %d items written, %d deleted, %d requests, %d retries",
			st.Persons, o.Count, st.Items, st.Deleted, st.Requests, st.Retries))
	}
	st, err := seed.Run(ctx, db, c.table, o)
	p.done()
	return st, err
}

// invoke calls the seed Lambda (deployed or at --endpoint-url) synchronously.
func invoke(ctx context.Context, c seedConfig, p *progress) (seed.Stats, error) {
	cfg, err := awsConfig(ctx, c)
	if err != nil {
		return seed.Stats{}, err
	}
	fn := c.function
	if fn == "" {
		if fn, err = functionFromStack(ctx, cfg, c.stack); err != nil {
			return seed.Stats{}, err
		}
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if c.endpointURL != "" {
			o.BaseEndpoint = aws.String(c.endpointURL)
		}
	})
	where := fn
	if c.endpointURL != "" {
		where = fn + " at " + c.endpointURL
	}
	stop := p.ticker(fmt.Sprintf("invoking %s (count %d, seed %d, clear %v)", where, c.count, c.seed, c.clear))
	out, err := client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        c.event(),
	})
	stop()
	if err != nil {
		return seed.Stats{}, invokeError(fn, cfg.Region, c.endpointURL, err)
	}
	// A function error comes with X-Amz-Function-Error from Lambda; the emulator only
	// sends the error payload.
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	_ = json.Unmarshal(out.Payload, &fnErr)
	if out.FunctionError != nil || fnErr.ErrorMessage != "" || fnErr.ErrorType != "" {
		msg := fnErr.ErrorMessage
		if msg == "" {
			msg = strings.TrimSpace(string(out.Payload))
		}
		return seed.Stats{}, fmt.Errorf("the seed function %s failed: %s", fn, msg)
	}
	var st seed.Stats
	if err := json.Unmarshal(out.Payload, &st); err != nil {
		return seed.Stats{}, fmt.Errorf("the seed function %s answered %q, not statistics: %w", fn, out.Payload, err)
	}
	return st, nil
}

// awsConfig loads the AWS configuration. For a deployed function it insists on a region
// and credentials, with a message that says how to provide them; a local endpoint gets
// dummy ones when there are none, as emulators do not check them.
func awsConfig(ctx context.Context, c seedConfig) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	if c.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if c.endpointURL != "" {
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		// Asking the default chain would end at EC2 instance metadata (slow, noisy) on a
		// machine without credentials: use dummy ones unless some are configured.
		if c.profile == "" && os.Getenv("AWS_PROFILE") == "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
		return cfg, nil
	}
	if cfg.Region == "" {
		return cfg, errors.New("no AWS region: set AWS_REGION or pass --region")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return cfg, fmt.Errorf("no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`): %w", err)
	}
	return cfg, nil
}

// functionFromStack reads the seed function's name from the stack's outputs.
func functionFromStack(ctx context.Context, cfg aws.Config, stack string) (string, error) {
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return "", fmt.Errorf("stack %s not found in %s: deploy it, or name the function with --function or %s", stack, cfg.Region, deploy.EnvSeedFunction)
	}
	if err != nil {
		return "", fmt.Errorf("look up stack %s: %w", stack, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == deploy.OutputSeedFunctionName {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no %s output: name the function with --function", stack, deploy.OutputSeedFunctionName)
}

func invokeError(fn, region, endpoint string, err error) error {
	var notFound *lambdatypes.ResourceNotFoundException
	var ae smithy.APIError
	switch {
	case errors.As(err, &notFound):
		if endpoint != "" {
			return fmt.Errorf("function %s not found at %s", fn, endpoint)
		}
		return fmt.Errorf("function %s not found in %s: check --function, %s or the stack outputs", fn, region, deploy.EnvSeedFunction)
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "UnrecognizedClientException"):
		return fmt.Errorf("not allowed to invoke %s (%s): check the AWS credentials and their permissions", fn, ae.ErrorCode())
	case endpoint != "" && strings.Contains(err.Error(), "StatusCode: 404"):
		// The emulator answers unknown function names with a bare 404.
		return fmt.Errorf("function %s not found at %s (the Lambda Runtime Interface Emulator serves only %q)", fn, endpoint, rieFunctionName)
	}
	return fmt.Errorf("invoke %s: %w", fn, err)
}

func summary(st seed.Stats) string {
	var b strings.Builder
	if st.Deleted > 0 {
		fmt.Fprintf(&b, "cleared %d items, ", st.Deleted)
	}
	fmt.Fprintf(&b, "seeded %d persons (%d items) in %s: %d requests, %d retries",
		st.Persons, st.Items, st.Duration.Round(time.Millisecond), st.Requests, st.Retries)
	return b.String()
}

// progress shows what is happening on w: one line updated in place on a terminal, a
// plain line now and then otherwise (logs, CI).
type progress struct {
	w       io.Writer
	tty     bool
	every   time.Duration
	mu      sync.Mutex
	last    time.Time
	pending string // newest update not yet shown
	inPlace bool   // the cursor is at the end of an in-place line
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	p := &progress{w: w, tty: tty, every: 2 * time.Second}
	if tty {
		p.every = 100 * time.Millisecond
	}
	return p
}

// update shows s, at most once per p.every.
func (p *progress) update(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = s
	if time.Since(p.last) < p.every {
		return
	}
	p.show()
}

func (p *progress) show() {
	p.last = time.Now()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", p.pending)
		p.inPlace = true
	} else {
		fmt.Fprintln(p.w, p.pending)
	}
	p.pending = ""
}

// line prints s on a line of its own.
func (p *progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inPlace {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.inPlace = false
	}
	fmt.Fprintln(p.w, s)
}

// done shows the last update and ends the in-place line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != "" && p.tty {
		p.show()
	}
	if p.inPlace {
		fmt.Fprintln(p.w)
		p.inPlace = false
	}
}

// ticker shows msg with the elapsed time until the returned stop is called (a single
// line when not on a terminal).
func (p *progress) ticker(msg string) (stop func()) {
	if !p.tty {
		p.line(msg)
		return func() {}
	}
	start := time.Now()
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			p.mu.Lock()
			p.pending = fmt.Sprintf("%s… %s", msg, time.Since(start).Round(time.Second))
			p.show()
			p.mu.Unlock()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		p.done()
	}
}
