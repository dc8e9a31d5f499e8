package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
)

// liveAlias is the alias of each API function that API Gateway invokes.
const liveAlias = "live"

// ctxDeployment picks how CodeDeploy shifts the live alias to a new version.
const ctxDeployment = "deployment"

// deploymentStyles are the values of ctxDeployment and their CodeDeploy configurations.
var deploymentStyles = map[string]func() awscodedeploy.ILambdaDeploymentConfig{
	// 10% of the traffic for 5 minutes, then the rest: the default of retained stages.
	"canary": awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES,
	// 10% more every minute.
	"linear": awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTE,
	// Everything at once: the default of throwaway stages (dev, test), for fast deploys.
	"all-at-once": awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE,
}

// parseDeployment validates ctxDeployment; "" picks the stage's default.
func parseDeployment(v string, throwaway bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && throwaway:
		return "all-at-once", nil
	case v == "":
		return "canary", nil
	case deploymentStyles[v] != nil:
		return v, nil
	}
	return "", fmt.Errorf("%s=%q: want canary, linear or all-at-once", ctxDeployment, v)
}

// newLiveAlias publishes the function's current code and configuration as a version
// and points the live alias at it. A deploy that changes the function publishes a new
// version; CodeDeploy then moves the alias (newDeploymentGroups).
func newLiveAlias(f *Function) awslambda.Alias {
	return awslambda.NewAlias(f.Function, jsii.String("Live"), &awslambda.AliasProps{
		AliasName:   jsii.String(liveAlias),
		Version:     f.Function.CurrentVersion(),
		Description: jsii.String("the version API Gateway invokes; CodeDeploy shifts it"),
	})
}

// newDeploymentGroups adds one CodeDeploy application with a deployment group per API
// function: the group shifts the live alias in the stage's style and rolls back when
// the deployment fails, is stopped, or one of the function's alarms (errors,
// throttles, p99 duration) or the API's 5xx-rate alarm fires meanwhile.
func newDeploymentGroups(c constructs.Construct, s *Stack, o *Ops) (map[string]awscodedeploy.LambdaDeploymentGroup, awsiam.Role) {
	app := awscodedeploy.NewLambdaApplication(c, jsii.String("Deployments"), nil)
	// One service role for all groups (each group would make its own): CodeDeploy's
	// managed policy for Lambda, which the groups attach.
	role := awsiam.NewRole(c, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		Description: jsii.String("persons: CodeDeploy shifts the API functions' live aliases"),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("CodeDeploy's service role for Lambda deployments uses AWSCodeDeployRoleForLambdaLimited, the AWS managed policy made for it: " +
			"reading alarms, updating aliases, invoking CodeDeployHook_* functions only."),
		AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"},
	}}, jsii.Bool(true))
	groups := map[string]awscodedeploy.LambdaDeploymentGroup{}
	for _, fn := range api.Functions() {
		name := string(fn)
		cid := constructID(name)
		var alarms []interfacesawscloudwatch.IAlarmRef
		for _, id := range []string{cid + "Errors", cid + "Throttles", cid + "DurationP99", "Api5xxRate"} {
			var a awscloudwatch.Alarm = o.Alarms[id]
			alarms = append(alarms, a)
		}
		g := awscodedeploy.NewLambdaDeploymentGroup(c, jsii.String(cid+"Deployment"), &awscodedeploy.LambdaDeploymentGroupProps{
			Application:      app,
			Role:             role,
			Alias:            s.Functions[name].Alias,
			DeploymentConfig: deploymentStyles[s.Config.Ops.Deployment](),
			Alarms:           &alarms,
			AutoRollback: &awscodedeploy.AutoRollbackConfig{
				FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true),
			},
		})
		groups[name] = g
	}
	return groups, role
}
