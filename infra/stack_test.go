package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
)

// assetDir holds a placeholder bootstrap per function, so the tests never cross-compile.
var assetDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		// jsii starts one node process for the test binary; Close stops it and removes
		// its /tmp/jsii-runtime.* folder.
		defer jsii.Close()
		if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
			os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20") // as the Makefile does
		}
		dir, err := os.MkdirTemp("", "infra-assets-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		for _, fn := range functionNames() {
			err := os.MkdirAll(filepath.Join(dir, fn), 0o755)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("placeholder "+fn), 0o755)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		assetDir = dir
		return m.Run()
	}())
}

// cdkContext is cdk.json's context, so the tests synthesize with the same feature flags
// as `cdk synth`.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if doc.App != "go run ./infra" || len(doc.Context) < 50 {
		t.Fatalf("cdk.json: app %q with %d context values; want the infra app and the recommended flags", doc.App, len(doc.Context))
	}
	return doc.Context
}

// synthesized is one synthesized variant of the app.
type synthesized struct {
	stack *Stack
	tpl   template
	// nagErrors are the unsuppressed AwsSolutions findings of error level.
	nagErrors []string
	warnings  []string
	synthErr  error
}

// nagReportErrors reads cdk-nag's CSV report in outdir and returns its unsuppressed
// findings of error level.
func nagReportErrors(t *testing.T, outdir string) []string {
	t.Helper()
	var errs []string
	// Both packs the app runs: AwsSolutions and Serverless.
	for _, pack := range []string{"AwsSolutions", "Serverless"} {
		files, _ := filepath.Glob(filepath.Join(outdir, pack+"-*NagReport.csv"))
		if len(files) != 1 {
			t.Fatalf("cdk-nag %s reports in %s: %v, want 1", pack, outdir, files)
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) < 2 || !slices.Equal(rows[0][:5], []string{"Rule ID", "Resource ID", "Compliance", "Exception Reason", "Rule Level"}) {
			t.Fatalf("cdk-nag report %s: %d rows, %v", files[0], len(rows), err)
		}
		for _, r := range rows[1:] {
			if r[2] == "Non-Compliant" && r[4] == "Error" {
				errs = append(errs, strings.Join(r[:2], " "))
			}
		}
	}
	return errs
}

type template struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]struct {
		Value any `json:"Value"`
	} `json:"Outputs"`
}

type resource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

// ofType returns the logical ids of the resources of type typ, sorted.
func (tp template) ofType(typ string) []string {
	var ids []string
	for id, r := range tp.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

var variants = map[string]*synthesized{}

// synth builds the app with cdk.json's context plus ctx (each variant once per test
// binary: a synth takes seconds) and returns its template and cdk-nag findings. A
// customize function, when given, changes the stack before synthesis (never cached).
func synth(t *testing.T, ctx map[string]string, customize func(*Stack)) *synthesized {
	t.Helper()
	key := fmt.Sprint(ctx)
	if v, ok := variants[key]; ok && customize == nil {
		return v
	}
	c := cdkContext(t)
	c[ctxLambdaAssets] = assetDir
	for k, v := range ctx {
		c[k] = v
	}
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &c, Outdir: jsii.String(outdir)})
	s, err := build(app, CLIEnv{})
	if err != nil {
		t.Fatalf("build %v: %v", ctx, err)
	}
	if customize != nil {
		customize(s)
	}
	v := &synthesized{stack: s}
	// Assertions panic on failure, and synthesis fails when cdk-nag reports errors: turn
	// both into values.
	v.synthErr = try(func() {
		ann := assertions.Annotations_FromStack(s.Stack)
		for _, m := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*"))) {
			b, _ := json.Marshal(m)
			v.nagErrors = append(v.nagErrors, string(b))
		}
		for _, m := range *ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue()) {
			b, _ := json.Marshal(m)
			v.warnings = append(v.warnings, string(b))
		}
		raw, err := json.Marshal(assertions.Template_FromStack(s.Stack, nil).ToJSON())
		if err == nil {
			err = json.Unmarshal(raw, &v.tpl)
		}
		if err != nil {
			panic(err)
		}
	})
	// cdk-nag's own report survives a failed synthesis.
	v.nagErrors = append(v.nagErrors, nagReportErrors(t, outdir)...)
	if v.synthErr != nil && customize == nil {
		t.Fatalf("synth %v: %v\ncdk-nag errors: %v", ctx, v.synthErr, v.nagErrors)
	}
	if customize == nil {
		variants[key] = v
	}
	return v
}

var (
	defaults    = map[string]string{}
	authNone    = map[string]string{ctxAuth: "none"}
	devStage    = map[string]string{ctxStage: "dev"}
	externalIdP = map[string]string{
		ctxJWTIssuer:   "https://idp.example.com/realms/persons",
		ctxJWTAudience: "persons-api, persons-cli",
		ctxCORSOrigins: "https://app.example.com,http://localhost:5173",
	}
)

func ref(id string) any   { return map[string]any{"Ref": id} }
func arnOf(id string) any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

func only(t *testing.T, ids []string, what string) string {
	t.Helper()
	if len(ids) != 1 {
		t.Fatalf("%d %s, want 1: %v", len(ids), what, ids)
	}
	return ids[0]
}

func TestTableMatchesLibraryDefinition(t *testing.T) {
	tpl := synth(t, defaults, nil).tpl
	table := tpl.Resources[only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")]
	// The library's CreateTable request is what tests and `make run` create: the
	// deployed table must have the same keys, attributes, index and billing.
	want, err := json.Marshal(persons.Table.CreateTableInput("x"))
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]any
	if err := json.Unmarshal(want, &in); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"} {
		got := table.Properties[field]
		if field == "GlobalSecondaryIndexes" {
			got = withoutThroughputCap(got)
		}
		if !sameJSON(got, dropNulls(in[field])) {
			t.Errorf("%s = %s, want (from persons.Table) %s", field, js(got), js(in[field]))
		}
	}
	if got := table.Properties["PointInTimeRecoverySpecification"]; !sameJSON(got, map[string]any{"PointInTimeRecoveryEnabled": true}) {
		t.Errorf("PointInTimeRecoverySpecification = %s, want enabled", js(got))
	}
	if table.Properties["DeletionProtectionEnabled"] != true || table.DeletionPolicy != "Retain" || table.UpdateReplacePolicy != "Retain" {
		t.Errorf("prod table: deletion protection %v, policies %s/%s; want true, Retain/Retain",
			table.Properties["DeletionProtectionEnabled"], table.DeletionPolicy, table.UpdateReplacePolicy)
	}
	if _, named := table.Properties["TableName"]; named {
		t.Error("table has a fixed name: two stages in one account would collide")
	}
}

func TestFunctions(t *testing.T) {
	v := synth(t, defaults, nil)
	tpl := v.tpl
	tableID := only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")
	secretID := only(t, tpl.ofType("AWS::SecretsManager::Secret"), "secrets")
	// The cursor key reaches the API functions as a dynamic reference, resolved by
	// CloudFormation at deploy time: the template never holds the value.
	cursorKeys := map[string]any{"Fn::Join": []any{"", []any{"{{resolve:secretsmanager:", ref(secretID), ":SecretString:::}}"}}}
	secret := tpl.Resources[secretID].Properties
	if !sameJSON(secret["GenerateSecretString"], map[string]any{"PasswordLength": cursorKeyLength, "ExcludePunctuation": true, "IncludeSpace": false}) {
		t.Errorf("cursor keys secret generates %s: want %d letters and digits (base64 that ParseCursorKeys reads)",
			js(secret["GenerateSecretString"]), cursorKeyLength)
	}
	if got := tpl.ofType("AWS::Lambda::Function"); len(got) != 7 || len(functionNames()) != 7 {
		t.Fatalf("functions %v (names %v), want 7: persons, 4 related kinds, seed, changes", got, functionNames())
	}
	timeouts := map[string]float64{}
	for _, name := range functionNames() {
		id := v.stack.logicalID(v.stack.Functions[name].Function.Node().DefaultChild())
		fn, ok := tpl.Resources[id]
		if !ok || fn.Type != "AWS::Lambda::Function" {
			t.Fatalf("%s: no function %s in the template", name, id)
		}
		p := fn.Properties
		if p["Runtime"] != "provided.al2023" || !sameJSON(p["Architectures"], []any{"arm64"}) || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v, architectures %v, handler %v; want provided.al2023, [arm64], bootstrap",
				name, p["Runtime"], p["Architectures"], p["Handler"])
		}
		vars := map[string]any{deploy.EnvTableName: ref(tableID)}
		if name != seedFunction && name != changesFunction {
			vars[deploy.EnvCursorKeys] = cursorKeys
			// The scope names the authorizer requires (TestRouteAuthorizationScopes).
			vars[deploy.EnvScopeRead], vars[deploy.EnvScopeWrite], vars[deploy.EnvScopeBank] = "persons/read", "persons/write", "persons/bank"
			vars[deploy.EnvMetricsNamespace] = "Persons/prod"
		}
		// The default tracing (otel): every function sends spans to the collector layer.
		vars[deploy.EnvOTLPEndpoint], vars[deploy.EnvOTelServiceName] = deploy.OTLPCollectorEndpoint, name
		env := map[string]any{"Variables": vars}
		if !sameJSON(p["Environment"], env) {
			t.Errorf("%s: environment %s, want %s", name, js(p["Environment"]), js(env))
		}
		logID := v.stack.logicalID(v.stack.Functions[name].LogGroup.Node().DefaultChild())
		if !sameJSON(p["LoggingConfig"], map[string]any{"LogGroup": ref(logID), "LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}) {
			t.Errorf("%s: logging config %s, want its own log group %s", name, js(p["LoggingConfig"]), logID)
		}
		if days, _ := tpl.Resources[logID].Properties["RetentionInDays"].(float64); days <= 0 {
			t.Errorf("%s: log group %s keeps logs forever", name, logID)
		}
		if _, named := p["FunctionName"]; named {
			t.Errorf("%s: fixed function name", name)
		}
		timeouts[name], _ = p["Timeout"].(float64)
		if m, _ := p["MemorySize"].(float64); m < 128 {
			t.Errorf("%s: memory %v", name, p["MemorySize"])
		}
	}
	for _, fn := range api.Functions() {
		name := string(fn)
		if timeouts[name] <= 0 || timeouts[name] > 29 || timeouts[seedFunction] < 10*timeouts[name] {
			t.Errorf("timeouts: %s %vs, seed %vs; want API functions within API Gateway's 29 s and seed far longer",
				name, timeouts[name], timeouts[seedFunction])
		}
	}
}

// logicalID resolves the logical id of an L1 resource of the stack.
func (s *Stack) logicalID(c any) string {
	el, ok := c.(awscdk.CfnElement)
	if !ok {
		panic(fmt.Sprintf("%T is not a CfnElement", c))
	}
	return *s.Stack.GetLogicalId(el)
}

func TestRoutesMapToTheirFunctionWithAuthorizer(t *testing.T) {
	for name, ctx := range map[string]map[string]string{"cognito": defaults, "external IdP": externalIdP} {
		t.Run(name, func(t *testing.T) {
			v := synth(t, ctx, nil)
			tpl := v.tpl
			authID := only(t, tpl.ofType("AWS::ApiGatewayV2::Authorizer"), "authorizers")
			got := map[string]resource{}
			for _, id := range tpl.ofType("AWS::ApiGatewayV2::Route") {
				r := tpl.Resources[id]
				got[fmt.Sprint(r.Properties["RouteKey"])] = r
			}
			routes := api.Routes()
			if len(got) != len(routes) {
				t.Errorf("%d routes in the template, want %d (api.Routes)", len(got), len(routes))
			}
			for _, want := range routes {
				key := want.Method + " " + want.Path
				r, ok := got[key]
				if !ok {
					t.Errorf("route %s missing", key)
					continue
				}
				// The function's live alias (deployments.go), which CodeDeploy shifts.
				fnID := v.stack.logicalID(v.stack.Functions[string(want.Function)].Alias.Node().DefaultChild())
				target, _ := r.Properties["Target"].(map[string]any)
				parts, _ := target["Fn::Join"].([]any)
				var integ resource
				if len(parts) == 2 {
					if p, _ := parts[1].([]any); len(p) == 2 && p[0] == "integrations/" {
						if m, _ := p[1].(map[string]any); m != nil {
							integ = tpl.Resources[fmt.Sprint(m["Ref"])]
						}
					}
				}
				if integ.Type != "AWS::ApiGatewayV2::Integration" || !sameJSON(integ.Properties["IntegrationUri"], ref(fnID)) ||
					integ.Properties["PayloadFormatVersion"] != "2.0" || integ.Properties["IntegrationType"] != "AWS_PROXY" {
					t.Errorf("%s: target %s -> %s, want an AWS_PROXY 2.0 integration of %s", key, js(target), js(integ), fnID)
				}
				if r.Properties["AuthorizationType"] != "JWT" || !sameJSON(r.Properties["AuthorizerId"], ref(authID)) {
					t.Errorf("%s: authorization %v %v, want JWT %s", key, r.Properties["AuthorizationType"], r.Properties["AuthorizerId"], authID)
				}
			}
			// API Gateway may invoke each function only for its own routes of this API.
			apiID := only(t, tpl.ofType("AWS::ApiGatewayV2::Api"), "APIs")
			perms := tpl.ofType("AWS::Lambda::Permission")
			if len(perms) != len(routes) {
				t.Errorf("%d invoke permissions, want one per route (%d)", len(perms), len(routes))
			}
			for _, id := range perms {
				p := tpl.Resources[id].Properties
				src := js(p["SourceArn"])
				if p["Principal"] != "apigateway.amazonaws.com" || p["Action"] != "lambda:InvokeFunction" ||
					!strings.Contains(src, js(ref(apiID))) || !(strings.Contains(src, `"/*/*/persons`) || strings.Contains(src, `"/*/*/changes`)) {
					t.Errorf("permission %s: %s", id, js(p))
				}
			}
			authz := tpl.Resources[authID].Properties
			if authz["AuthorizerType"] != "JWT" || authz["IdentitySource"] == nil {
				t.Errorf("authorizer %s", js(authz))
			}
			if name == "external IdP" {
				jwt := map[string]any{"Issuer": externalIdP[ctxJWTIssuer], "Audience": []any{"persons-api", "persons-cli"}}
				if !sameJSON(authz["JwtConfiguration"], jwt) {
					t.Errorf("jwt configuration %s, want %s", js(authz["JwtConfiguration"]), js(jwt))
				}
				if ids := tpl.ofType("AWS::Cognito::UserPool"); len(ids) != 0 {
					t.Errorf("user pool %v created although an issuer was given", ids)
				}
			} else {
				poolID := only(t, tpl.ofType("AWS::Cognito::UserPool"), "user pools")
				// The public client and the service client (TestCognitoScopes).
				apiClient := v.stack.logicalID(v.stack.Auth.Client.Node().DefaultChild())
				serviceClient := v.stack.logicalID(v.stack.Auth.ServiceClient.Node().DefaultChild())
				cfg, _ := authz["JwtConfiguration"].(map[string]any)
				if !sameJSON(cfg["Audience"], []any{ref(apiClient), ref(serviceClient)}) || !strings.Contains(js(cfg["Issuer"]), `"https://cognito-idp."`) ||
					!strings.Contains(js(cfg["Issuer"]), js(ref(poolID))) {
					t.Errorf("jwt configuration %s, want the pool's issuer and client", js(cfg))
				}
			}
		})
	}
}

func TestStage(t *testing.T) {
	tpl := synth(t, defaults, nil).tpl
	stage := tpl.Resources[only(t, tpl.ofType("AWS::ApiGatewayV2::Stage"), "stages")].Properties
	if stage["StageName"] != "$default" || stage["AutoDeploy"] != true {
		t.Errorf("stage %v autoDeploy %v, want $default, true", stage["StageName"], stage["AutoDeploy"])
	}
	rs, _ := stage["DefaultRouteSettings"].(map[string]any)
	if rs["ThrottlingRateLimit"] != float64(throttleRate) || rs["ThrottlingBurstLimit"] != float64(throttleBurst) {
		t.Errorf("throttling %v", js(rs))
	}
	als, _ := stage["AccessLogSettings"].(map[string]any)
	dest, _ := als["DestinationArn"].(map[string]any)
	ga, _ := dest["Fn::GetAtt"].([]any)
	if len(ga) != 2 || tpl.Resources[fmt.Sprint(ga[0])].Type != "AWS::Logs::LogGroup" {
		t.Errorf("access log destination %s, want a log group", js(dest))
	}
	var format map[string]string
	if err := json.Unmarshal([]byte(fmt.Sprint(als["Format"])), &format); err != nil || format["requestId"] != "$context.requestId" || format["status"] != "$context.status" {
		t.Errorf("access log format %v is not JSON with requestId and status (%v)", als["Format"], err)
	}
	api := tpl.Resources[only(t, tpl.ofType("AWS::ApiGatewayV2::Api"), "APIs")].Properties
	if api["CorsConfiguration"] != nil {
		t.Errorf("CORS %s without corsOrigins, want none", js(api["CorsConfiguration"]))
	}
}

func TestCORSFromContext(t *testing.T) {
	tpl := synth(t, externalIdP, nil).tpl
	cors, _ := tpl.Resources[only(t, tpl.ofType("AWS::ApiGatewayV2::Api"), "APIs")].Properties["CorsConfiguration"].(map[string]any)
	if !sameJSON(cors["AllowOrigins"], []any{"https://app.example.com", "http://localhost:5173"}) {
		t.Errorf("allowed origins %s", js(cors["AllowOrigins"]))
	}
	for _, h := range []string{"Authorization", "If-Match", "If-None-Match"} {
		if !strings.Contains(js(cors["AllowHeaders"]), `"`+h+`"`) {
			t.Errorf("allowed headers %s lack %s", js(cors["AllowHeaders"]), h)
		}
	}
	if !strings.Contains(js(cors["ExposeHeaders"]), `"ETag"`) || !strings.Contains(js(cors["AllowMethods"]), `"PATCH"`) {
		t.Errorf("CORS %s: want ETag exposed and PATCH allowed", js(cors))
	}
}

func TestIAMLeastPrivilege(t *testing.T) {
	for name, ctx := range map[string]map[string]string{"default": defaults, "auth=none": authNone, "dev": devStage} {
		t.Run(name, func(t *testing.T) {
			v := synth(t, ctx, nil)
			tpl := v.tpl
			tableID := only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")
			tableARN := arnOf(tableID)
			gsiARN := map[string]any{"Fn::Join": []any{"", []any{tableARN, "/index/" + persons.GSI1}}}
			keyARN := arnOf(only(t, tpl.ofType("AWS::KMS::Key"), "KMS keys")) // the table's (kms_test.go)

			// The service roles of CodeDeploy and AWS Backup (ops_test.go checks them).
			roles := slices.DeleteFunc(tpl.ofType("AWS::IAM::Role"), func(id string) bool {
				trust := js(tpl.Resources[id].Properties["AssumeRolePolicyDocument"])
				return strings.Contains(trust, `"codedeploy.amazonaws.com"`) || strings.Contains(trust, `"backup.amazonaws.com"`)
			})
			if len(roles) != len(functionNames()) {
				t.Errorf("%d roles, want one per function (%d): %v", len(roles), len(functionNames()), roles)
			}
			for _, id := range roles {
				p := tpl.Resources[id].Properties
				if p["ManagedPolicyArns"] != nil || p["Policies"] != nil {
					t.Errorf("role %s has managed or inline policies: %s", id, js(p))
				}
			}
			// Which function owns which policy: its role's DefaultPolicy.
			owner := map[string]string{}
			for _, fn := range functionNames() {
				owner[v.stack.logicalID(v.stack.Functions[fn].Role.Node().DefaultChild())] = fn
			}
			granted := map[string]map[string][]string{} // function -> resource kind -> actions
			for _, id := range tpl.ofType("AWS::IAM::Policy") {
				p := tpl.Resources[id].Properties
				rs, _ := p["Roles"].([]any)
				if len(rs) != 1 {
					t.Fatalf("policy %s attached to %v", id, rs)
				}
				fn, ok := owner[fmt.Sprint(rs[0].(map[string]any)["Ref"])]
				if !ok {
					t.Fatalf("policy %s attached to a role that is no function's: %v", id, rs)
				}
				if fn == changesFunction {
					continue // stream, queue and a LeadingKeys condition: TestChangeFeedIAM
				}
				granted[fn] = map[string][]string{}
				doc, _ := p["PolicyDocument"].(map[string]any)
				stmts, _ := doc["Statement"].([]any)
				for _, s := range stmts {
					st := s.(map[string]any)
					if st["Effect"] != "Allow" || st["NotAction"] != nil || st["NotResource"] != nil || st["Condition"] != nil {
						t.Errorf("%s: unexpected statement shape %s", fn, js(st))
					}
					actions, resources := list(st["Action"]), list(st["Resource"])
					for _, a := range actions {
						if strings.Contains(fmt.Sprint(a), "*") {
							t.Errorf("%s: wildcard action %v", fn, a)
						}
					}
					for _, r := range resources {
						var kind string
						switch {
						case sameJSON(r, tableARN):
							kind = "table"
						case sameJSON(r, gsiARN):
							kind = "index"
						case sameJSON(r, keyARN):
							kind = "key"
						case r == "*" && slices.Equal(slices.Sorted(slices.Values(stringsOf(actions))), xrayWriteActions):
							kind = "xray" // active tracing (TestTracing)
						default:
							if m, _ := r.(map[string]any); m != nil {
								if ga, _ := m["Fn::GetAtt"].([]any); len(ga) == 2 && ga[1] == "Arn" &&
									tpl.Resources[fmt.Sprint(ga[0])].Type == "AWS::Logs::LogGroup" {
									kind = "logs"
								}
							}
						}
						if kind == "" {
							t.Errorf("%s: resource %s is not the table, its index, its key or a log group", fn, js(r))
							continue
						}
						for _, a := range actions {
							a := fmt.Sprint(a)
							if (kind == "logs") != strings.HasPrefix(a, "logs:") || (kind == "xray") != strings.HasPrefix(a, "xray:") {
								t.Errorf("%s: action %s on %s resource", fn, a, kind)
							}
							granted[fn][kind] = append(granted[fn][kind], a)
						}
					}
				}
			}
			for _, fn := range functionNames() {
				if fn == changesFunction {
					continue
				}
				g := granted[fn]
				slices.Sort(g["logs"])
				if !slices.Equal(g["logs"], []string{"logs:CreateLogStream", "logs:PutLogEvents"}) {
					t.Errorf("%s: logs actions %v", fn, g["logs"])
				}
				want := slices.Sorted(slices.Values(functionAccess[fn].TableActions))
				slices.Sort(g["table"])
				if !slices.Equal(g["table"], want) || len(want) == 0 {
					t.Errorf("%s: table actions %v, want %v", fn, g["table"], want)
				}
				wantIndex := []string(nil)
				if fn == string(api.FunctionPersons) {
					wantIndex = []string{"dynamodb:Query"} // ListPersons reads GSI1
				}
				if !slices.Equal(g["key"], tableKeyActions) {
					t.Errorf("%s: table key actions %v, want %v", fn, g["key"], tableKeyActions)
				}
				if !slices.Equal(g["index"], wantIndex) {
					t.Errorf("%s: index actions %v, want %v", fn, g["index"], wantIndex)
				}
				// An API function reads and writes items by key; reading the whole table is
				// the seed's. (BatchWriteItem names its keys like DeleteItem does: the
				// persons function deletes a partition's children with it.)
				for _, a := range g["table"] {
					if fn != seedFunction && a == "dynamodb:Scan" {
						t.Errorf("%s: API function may %s the whole table", fn, a)
					}
				}
			}
		})
	}
}

// xrayWriteActions are what Lambda active tracing grants a function's role, on "*"
// (X-Ray has no resource-level permissions for them), sorted.
var xrayWriteActions = []string{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}

// stringsOf formats every element of l.
func stringsOf(l []any) []string {
	var out []string
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  map[string]string
		want []string
	}{
		{"cognito", defaults, []string{deploy.OutputAPIURL, deploy.OutputTableName, deploy.OutputSeedFunctionName, deploy.OutputJWTIssuer, deploy.OutputJWTAudience, deploy.OutputUserPoolID, deploy.OutputUserPoolClientID, deploy.OutputServiceClientID, deploy.OutputOAuthURL, deploy.OutputSeedFunctionARN}},
		{"external IdP", externalIdP, []string{deploy.OutputAPIURL, deploy.OutputTableName, deploy.OutputSeedFunctionName, deploy.OutputJWTIssuer, deploy.OutputJWTAudience, deploy.OutputSeedFunctionARN}},
		{"auth=none", authNone, []string{deploy.OutputAPIURL, deploy.OutputTableName, deploy.OutputSeedFunctionName, deploy.OutputSeedFunctionARN}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			var got []string
			for k := range v.tpl.Outputs {
				got = append(got, k)
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("outputs %v, want %v", got, tc.want)
			}
			seedID := v.stack.logicalID(v.stack.Functions[seedFunction].Function.Node().DefaultChild())
			if !sameJSON(v.tpl.Outputs[deploy.OutputSeedFunctionName].Value, ref(seedID)) {
				t.Errorf("%s = %s, want the seed function", deploy.OutputSeedFunctionName, js(v.tpl.Outputs[deploy.OutputSeedFunctionName].Value))
			}
			if !strings.Contains(js(v.tpl.Outputs[deploy.OutputAPIURL].Value), "execute-api") {
				t.Errorf("%s = %s", deploy.OutputAPIURL, js(v.tpl.Outputs[deploy.OutputAPIURL].Value))
			}
		})
	}
}

func TestAuthNone(t *testing.T) {
	v := synth(t, authNone, nil)
	for _, typ := range []string{"AWS::ApiGatewayV2::Authorizer", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient"} {
		if ids := v.tpl.ofType(typ); len(ids) != 0 {
			t.Errorf("auth=none still creates %s %v", typ, ids)
		}
	}
	routes := v.tpl.ofType("AWS::ApiGatewayV2::Route")
	if len(routes) != len(api.Routes()) {
		t.Errorf("%d routes, want %d", len(routes), len(api.Routes()))
	}
	for _, id := range routes {
		if at := v.tpl.Resources[id].Properties["AuthorizationType"]; at != nil && at != "NONE" {
			t.Errorf("route %s: authorization %v", id, at)
		}
	}
	if !slices.ContainsFunc(v.warnings, func(w string) bool { return strings.Contains(w, "auth=none") }) {
		t.Errorf("no auth=none warning among %v", v.warnings)
	}
	if w := synth(t, defaults, nil).warnings; slices.ContainsFunc(w, func(w string) bool { return strings.Contains(w, "auth=none") }) {
		t.Error("the default configuration warns about auth=none")
	}
}

func TestStageDevIsThrowaway(t *testing.T) {
	v := synth(t, devStage, nil)
	if got := *v.stack.Stack.StackName(); got != "Persons-dev" {
		t.Errorf("stack name %s, want Persons-dev", got)
	}
	table := v.tpl.Resources[only(t, v.tpl.ofType("AWS::DynamoDB::Table"), "tables")]
	if table.Properties["DeletionProtectionEnabled"] != false || table.DeletionPolicy != "Delete" {
		t.Errorf("dev table: deletion protection %v, policy %q; want false, Delete", table.Properties["DeletionProtectionEnabled"], table.DeletionPolicy)
	}
	if pitr := js(table.Properties["PointInTimeRecoverySpecification"]); !strings.Contains(pitr, "true") {
		t.Errorf("dev table PITR %s", pitr)
	}
	pool := v.tpl.Resources[only(t, v.tpl.ofType("AWS::Cognito::UserPool"), "user pools")]
	if pool.Properties["DeletionProtection"] != "INACTIVE" || pool.DeletionPolicy != "Delete" {
		t.Errorf("dev user pool: protection %v, policy %q", pool.Properties["DeletionProtection"], pool.DeletionPolicy)
	}
	for _, id := range v.tpl.ofType("AWS::Logs::LogGroup") {
		if p := v.tpl.Resources[id].DeletionPolicy; p != "Delete" {
			t.Errorf("dev log group %s: policy %q", id, p)
		}
	}

	prod := synth(t, defaults, nil)
	if got := *prod.stack.Stack.StackName(); got != deploy.DefaultStackName {
		t.Errorf("default stack name %s, want %s", got, deploy.DefaultStackName)
	}
	pool = prod.tpl.Resources[only(t, prod.tpl.ofType("AWS::Cognito::UserPool"), "user pools")]
	if pool.Properties["DeletionProtection"] != "ACTIVE" || pool.DeletionPolicy != "Retain" {
		t.Errorf("prod user pool: protection %v, policy %q", pool.Properties["DeletionProtection"], pool.DeletionPolicy)
	}
}

func TestNagNoUnsuppressedErrors(t *testing.T) {
	for name, ctx := range map[string]map[string]string{"default": defaults, "auth=none": authNone, "dev": devStage, "external IdP": externalIdP, "ops tuned": opsTuned} {
		t.Run(name, func(t *testing.T) {
			if errs := synth(t, ctx, nil).nagErrors; len(errs) != 0 {
				t.Errorf("%d cdk-nag errors:\n%s", len(errs), strings.Join(errs, "\n"))
			}
		})
	}
}

// TestNagIsWired proves the check above can fail: the same app with one non-compliant
// statement (the broad access this stack avoids) reports it.
func TestNagIsWired(t *testing.T) {
	v := synth(t, defaults, func(s *Stack) {
		s.Functions[seedFunction].Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:*"),
			Resources: jsii.Strings("*"),
		}))
	})
	if !slices.ContainsFunc(v.nagErrors, func(e string) bool { return strings.Contains(e, "AwsSolutions-IAM5") }) {
		t.Errorf("dynamodb:* on * passed cdk-nag: errors %v", v.nagErrors)
	}
}

func TestMissingBootstrap(t *testing.T) {
	cfg, err := parseConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.LambdaAssets = t.TempDir()
	_, err = NewStack(awscdk.NewApp(nil), cfg)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("NewStack without binaries: %v, want a hint to run make build", err)
	}
}

func sameJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	if erra != nil || errb != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

// try runs f and returns what it panicked with, if anything.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// dropNulls removes null members (unset SDK fields) from decoded JSON.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = dropNulls(e)
		}
		return out
	}
	return v
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The secret's generator makes values the functions accept: cursorKeyLength letters and
// digits are unpadded base64 of enough bytes.
func TestGeneratedCursorKeyParses(t *testing.T) {
	keys, err := persons.ParseCursorKeys(strings.Repeat("aZ09", cursorKeyLength/4))
	if err != nil || len(keys) != 1 || len(keys[0]) < persons.MinCursorKeyLen {
		t.Fatalf("ParseCursorKeys of a generated value: %v, %v", keys, err)
	}
}

// A request ends by itself (504) before the function's timeout kills it: the API's
// default request deadline leaves time for the answer to get out.
func TestRequestDeadlineBelowFunctionTimeout(t *testing.T) {
	if limit := time.Duration(apiTimeoutSec)*time.Second - time.Second; api.DefaultRequestTimeout > limit {
		t.Fatalf("request deadline %v, function timeout %ds: want at most %v", api.DefaultRequestTimeout, apiTimeoutSec, limit)
	}
}
