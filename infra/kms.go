package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// tableKeyActions are the KMS actions a function needs on the table's key, whatever it
// does with the table. DynamoDB encrypts items with a table key that KMS protects: when
// a principal uses the table, DynamoDB decrypts that table key with KMS under the
// principal's own permissions (and caches it for a few minutes per principal), so the
// principal needs kms:Decrypt on the key. Encrypt/GenerateDataKey happen when the table
// (or its key) is created or changed, by the deploying principal, never by a function.
var tableKeyActions = []string{"kms:Decrypt"}

// newTableKey returns the key the table is encrypted with: the operator's (cfg.KMSKeyARN,
// whose policy the operator keeps), or one the stack creates, with yearly rotation and
// kept (RETAIN) wherever the table is kept: a table whose key was deleted is lost.
func newTableKey(scope constructs.Construct, id string, cfg Config) awskms.IKey {
	if cfg.KMSKeyARN != "" {
		return awskms.Key_FromKeyArn(scope, jsii.String(id), jsii.String(cfg.KMSKeyARN))
	}
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String("persons " + cfg.Stage + ": encrypts the DynamoDB table (names, dates of birth, salaries, bank accounts)"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     cfg.removalPolicy(),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// The default policy lets the account's IAM policies grant the key's use (the
	// functions' roles get kms:Decrypt on it, nothing else). DynamoDB itself may read
	// the key's metadata, to notice a disabled or deleted key and report the table
	// inaccessible.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowDynamoDBToDescribeTheKey"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("dynamodb.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:DescribeKey", "kms:ListGrants"),
		Resources:  jsii.Strings("*"),
	}), nil)
	return key
}
