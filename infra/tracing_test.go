package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/deploy"
)

// adotLayerName is what the ADOT collector layer's ARN contains (AWS's account
// 901920570463 publishes it per region); the CDK renders the region as a Ref unless the
// stage pins one.
const adotLayerName = ":901920570463:layer:aws-otel-collector-arm64-ver-0-115-0:"

// Every function is traced as its stage says: otel (the default, for every stage) is
// active tracing plus the collector layer and the OTLP environment; xray is active
// tracing only; off is neither. cdk-nag's tracing finding is gone with tracing on and
// suppressed only with tracing off.
func TestTracing(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ctx           map[string]string
		active, layer bool
	}{
		{"default", defaults, true, true},
		{"dev", devStage, true, true},
		{"xray", map[string]string{ctxStage: "dev", ctxTracing: "xray"}, true, false},
		{"off", map[string]string{ctxStage: "dev", ctxTracing: "OFF"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			for _, name := range functionNames() {
				p := v.tpl.Resources[v.stack.logicalID(v.stack.Functions[name].Function.Node().DefaultChild())].Properties
				if got, want := p["TracingConfig"], (map[string]any{"Mode": "Active"}); tc.active != sameJSON(got, want) || !tc.active && got != nil {
					t.Errorf("%s: tracing config %s, want active %v", name, js(got), tc.active)
				}
				layers := list(p["Layers"])
				if p["Layers"] == nil {
					layers = nil
				}
				if tc.layer && (len(layers) != 1 || !strings.Contains(js(layers[0]), adotLayerName)) || !tc.layer && len(layers) != 0 {
					t.Errorf("%s: layers %s, want the ADOT collector (%s): %v", name, js(p["Layers"]), adotLayerName, tc.layer)
				}
				vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
				endpoint, service := vars[deploy.EnvOTLPEndpoint], vars[deploy.EnvOTelServiceName]
				if tc.layer && (endpoint != deploy.OTLPCollectorEndpoint || service != name) || !tc.layer && (endpoint != nil || service != nil) {
					t.Errorf("%s: %s=%v %s=%v, want them with the layer only (%v)", name, deploy.EnvOTLPEndpoint, endpoint, deploy.EnvOTelServiceName, service, tc.layer)
				}
				if w, set := vars["AWS_LAMBDA_EXEC_WRAPPER"]; set {
					t.Errorf("%s: AWS_LAMBDA_EXEC_WRAPPER=%v on a custom runtime", name, w)
				}
			}
			if i := slices.IndexFunc(v.warnings, func(w string) bool { return strings.Contains(w, "Serverless-LambdaTracing") }); i >= 0 {
				t.Errorf("cdk-nag tracing finding: %s", v.warnings[i])
			}
			if len(v.nagErrors) != 0 {
				t.Errorf("cdk-nag errors: %v", v.nagErrors)
			}
		})
	}
}

// A function without tracing (and without the suppression tracing=off adds) is
// reported by the Serverless pack: the check above can fail.
func TestTracingNagIsWired(t *testing.T) {
	v := synth(t, defaults, func(s *Stack) {
		fn := awslambda.NewFunction(s.Stack, jsii.String("Untraced"), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"),
			Code: awslambda.Code_FromAsset(jsii.String(filepath.Join(assetDir, seedFunction)), nil),
		})
		// Its other findings are errors, which would end the synthesis before the
		// warnings are read.
		var others []*cdknag.NagPackSuppression
		for _, id := range []string{"AwsSolutions-IAM4", "Serverless-LambdaDefaultMemorySize", "Serverless-LambdaDefaultTimeout", "Serverless-LambdaDLQ"} {
			others = append(others, &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String("not the rule under test")})
		}
		cdknag.NagSuppressions_AddResourceSuppressions(fn, &others, jsii.Bool(true))
	})
	if !slices.ContainsFunc(v.warnings, func(w string) bool {
		return strings.Contains(w, "Serverless-LambdaTracing") && strings.Contains(w, "Untraced")
	}) {
		t.Errorf("an untraced function passed the Serverless pack: warnings %v", v.warnings)
	}
}
