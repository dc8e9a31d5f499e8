package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// cursorKeyLength is the length of the generated cursor key: 64 letters and digits,
// which persons.ParseCursorKeys reads as unpadded base64 of 48 bytes (about 380 bits of
// entropy, more than the 32 bytes it requires).
const cursorKeyLength = 64

// newCursorKeys creates the secret that holds the keys signing list cursors, and returns
// the value the API functions get in their environment (deploy.EnvCursorKeys).
//
// The value reaches the functions as a CloudFormation dynamic reference
// ({{resolve:secretsmanager:...}}), resolved at deploy time: it is never in the template
// or cdk.out, the functions need no permission and no SDK call at init. CloudFormation
// re-reads the reference only when the template changes, so a rotation is: put the new
// value ("NEW,OLD": sign with the new key, still accept the old one), deploy with
// -c cursorKeysVersion=<its VersionId>; after a day (the cursors' lifetime), put "NEW" and
// deploy with its VersionId.
func newCursorKeys(scope constructs.Construct, id string, cfg Config) *string {
	secret := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String("persons: keys that sign list cursors (PERSONS_CURSOR_KEYS: comma-separated base64, the signing key first)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(cursorKeyLength),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: cfg.removalPolicy(),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Rotation must keep the previous key valid for the cursors' 24 h lifetime and is done in " +
			"two deploys (README, Deploy: rotating the cursor key); a rotation Lambda would replace the value at once."),
	}}, jsii.Bool(false))
	var options *awscdk.SecretsManagerSecretOptions
	if cfg.CursorKeysVersion != "" {
		options = &awscdk.SecretsManagerSecretOptions{VersionId: jsii.String(cfg.CursorKeysVersion)}
	}
	return awscdk.SecretValue_SecretsManager(secret.SecretArn(), options).UnsafeUnwrap()
}
