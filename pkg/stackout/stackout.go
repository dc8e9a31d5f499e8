// Package stackout names the CloudFormation stack of the persons service and the keys of
// its outputs. The CDK app (infra/) writes the outputs under these keys and tools such as
// the seed CLI read them back (aws cloudformation describe-stacks), so both sides import
// the names from here instead of repeating string literals. The package has no
// dependencies: importing it does not pull the CDK into a client.
package stackout

// DefaultStage is the stage a deployment gets when none is given: a protected one.
const DefaultStage = "prod"

// DefaultStackName is the name of the stack of DefaultStage.
const DefaultStackName = "Persons"

// StackName is the name of the stack of stage: "Persons" for DefaultStage (or ""),
// "Persons-<stage>" otherwise, so several stages can live in one account and region.
func StackName(stage string) string {
	if stage == "" || stage == DefaultStage {
		return DefaultStackName
	}
	return DefaultStackName + "-" + stage
}

// Output keys of the stack.
const (
	// APIURL is the base URL of the HTTP API ($default stage), ending in "/".
	APIURL = "ApiUrl"
	// TableName is the name of the DynamoDB table.
	TableName = "TableName"
	// SeedFunctionName is the name of the seed Lambda function.
	SeedFunctionName = "SeedFunctionName"

	// The auth outputs exist only when authentication is on (the default).

	// JWTIssuer is the issuer URL the API's JWT authorizer trusts.
	JWTIssuer = "JwtIssuer"
	// JWTAudience is the audience (comma-separated) the API's JWT authorizer accepts.
	JWTAudience = "JwtAudience"
	// UserPoolID is the id of the Cognito user pool the stack created (only when no
	// external issuer was given).
	UserPoolID = "UserPoolId"
	// UserPoolClientID is the id of the app client of that user pool; tokens are issued
	// to it.
	UserPoolClientID = "UserPoolClientId"
)
