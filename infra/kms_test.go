package main

import (
	"fmt"
	"strings"
	"testing"
)

const operatorKeyARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// The table is encrypted with a customer-managed key: the stack's (rotation on, kept
// where the table is kept) or the operator's; each function may only kms:Decrypt with
// it (TestIAMLeastPrivilege checks every grant of the stack's key).
func TestTableKey(t *testing.T) {
	for name, tc := range map[string]struct {
		ctx    map[string]string
		policy string // the key's DeletionPolicy; "" for the operator's key
	}{
		"default":      {defaults, "Retain"},
		"dev":          {devStage, "Delete"},
		"operator key": {map[string]string{ctxKMSKeyARN: operatorKeyARN}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			tpl := v.tpl
			table := tpl.Resources[only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")]
			keys := tpl.ofType("AWS::KMS::Key")
			var keyARN any = operatorKeyARN
			if tc.policy == "" {
				if len(keys) != 0 {
					t.Fatalf("keys %v created although the operator gave one", keys)
				}
			} else {
				keyID := only(t, keys, "KMS keys")
				k := tpl.Resources[keyID]
				keyARN = arnOf(keyID)
				if k.Properties["EnableKeyRotation"] != true || k.Properties["KeySpec"] != nil && k.Properties["KeySpec"] != "SYMMETRIC_DEFAULT" {
					t.Errorf("key %s", js(k.Properties))
				}
				if k.DeletionPolicy != tc.policy || k.DeletionPolicy != table.DeletionPolicy {
					t.Errorf("key deletion policy %q, table %q; want %q for both", k.DeletionPolicy, table.DeletionPolicy, tc.policy)
				}
				// The key policy: the account's IAM (administration and the roles' grants)
				// and DynamoDB's reading of the key's metadata; no other principal.
				for _, s := range list(k.Properties["KeyPolicy"].(map[string]any)["Statement"]) {
					st := s.(map[string]any)
					p := js(st["Principal"])
					switch {
					case strings.Contains(p, ":root"):
					case strings.Contains(p, "dynamodb.amazonaws.com"):
						if !sameJSON(st["Action"], []any{"kms:DescribeKey", "kms:ListGrants"}) {
							t.Errorf("DynamoDB may %v", st["Action"])
						}
					default:
						t.Errorf("key policy statement for %s: %s", p, js(st))
					}
				}
			}
			sse := map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": keyARN}
			if !sameJSON(table.Properties["SSESpecification"], sse) {
				t.Errorf("table SSE %s, want %s", js(table.Properties["SSESpecification"]), js(sse))
			}
			// Every function role may kms:Decrypt with that key, and nothing else with KMS.
			for _, fn := range functionNames() {
				roleID := v.stack.logicalID(v.stack.Functions[fn].Role.Node().DefaultChild())
				var kms []string
				for _, id := range tpl.ofType("AWS::IAM::Policy") {
					p := tpl.Resources[id].Properties
					if !sameJSON(p["Roles"], []any{ref(roleID)}) {
						continue
					}
					for _, s := range list(p["PolicyDocument"].(map[string]any)["Statement"]) {
						st := s.(map[string]any)
						for _, a := range list(st["Action"]) {
							if strings.HasPrefix(fmt.Sprint(a), "kms:") {
								kms = append(kms, fmt.Sprint(a))
								if !sameJSON(st["Resource"], keyARN) {
									t.Errorf("%s: %v on %s, want the table key only", fn, a, js(st["Resource"]))
								}
							}
						}
					}
				}
				if !sameJSON(kms, []any{"kms:Decrypt"}) && strings.Join(kms, ",") != "kms:Decrypt" {
					t.Errorf("%s: KMS actions %v, want [kms:Decrypt]", fn, kms)
				}
			}
			if len(v.nagErrors) != 0 {
				t.Errorf("cdk-nag: %v", v.nagErrors)
			}
		})
	}
}
