package main

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// bootstrapPolicyFile is the policy README's "Least-privilege bootstrap" gives
// CloudFormation instead of AdministratorAccess.
const bootstrapPolicyFile = "bootstrap-policy.json"

// iamPrefixes maps a CloudFormation service (AWS::<Service>::<Type>) to the IAM
// service prefix of its actions. A resource of a service not listed here fails
// TestBootstrapPolicyCoversTemplate: add it here and to bootstrap-policy.json.
var iamPrefixes = map[string]string{
	"ApiGatewayV2": "apigateway", "Backup": "backup", "Budgets": "budgets", "CloudWatch": "cloudwatch",
	"CodeDeploy": "codedeploy", "Cognito": "cognito-idp", "DynamoDB": "dynamodb", "IAM": "iam", "KMS": "kms",
	"Lambda": "lambda", "Logs": "logs", "SecretsManager": "secretsmanager", "SNS": "sns", "SQS": "sqs",
}

// bootstrapHelpers are the policy's prefixes that no resource type names: backup's
// vaults need backup-storage:MountCapsule; CloudFormation reads the Lambda code from the
// bootstrap bucket (s3) and the bootstrap version parameter (ssm).
var bootstrapHelpers = []string{"backup-storage", "s3", "ssm"}

// Every resource type of the synthesized template, over the variants that add
// resources (default and dev stage, tracing off and xray, alarm e-mail and budget,
// external issuer, auth none), is covered by a service of the bootstrap policy, and the
// policy allows no service that none of them uses.
func TestBootstrapPolicyCoversTemplate(t *testing.T) {
	b, err := os.ReadFile(bootstrapPolicyFile)
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal(b, &policy); err != nil || policy.Version != "2012-10-17" {
		t.Fatalf("%s: version %q, %v", bootstrapPolicyFile, policy.Version, err)
	}
	allowed := map[string]bool{}
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			t.Errorf("%s: effect %s", bootstrapPolicyFile, st.Effect)
		}
		for _, a := range st.Action {
			prefix, _, _ := strings.Cut(a, ":")
			allowed[prefix] = true
		}
	}
	used := map[string]bool{}
	for _, ctx := range []map[string]string{
		defaults, devStage, opsTuned, externalIdP, authNone,
		{ctxStage: "dev", ctxTracing: tracingOff}, {ctxStage: "dev", ctxTracing: tracingXRay},
		{ctxStage: "dev", ctxStages: stagesContext},
	} {
		v := synth(t, ctx, nil)
		for id, r := range v.tpl.Resources {
			parts := strings.Split(r.Type, "::")
			if len(parts) != 3 || parts[0] != "AWS" {
				t.Errorf("%v: resource %s of type %s: not AWS::<Service>::<Type>", ctx, id, r.Type)
				continue
			}
			prefix, ok := iamPrefixes[parts[1]]
			if !ok {
				t.Errorf("%v: resource %s of type %s: service %s is not in iamPrefixes (add its IAM prefix there and to %s)", ctx, id, r.Type, parts[1], bootstrapPolicyFile)
				continue
			}
			used[prefix] = true
			if !allowed[prefix] {
				t.Errorf("%v: resource %s of type %s: %s does not allow %s:*", ctx, id, r.Type, bootstrapPolicyFile, prefix)
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(allowed)) {
		if !used[p] && !slices.Contains(bootstrapHelpers, p) {
			t.Errorf("%s allows %s, which no resource of the stack needs", bootstrapPolicyFile, p)
		}
	}
}
