package deploy

import "testing"

func TestStackName(t *testing.T) {
	for _, tc := range []struct{ stage, want string }{
		{"", "Persons"},
		{"prod", "Persons"},
		{"dev", "Persons-dev"},
		{"pr-42", "Persons-pr-42"},
	} {
		if got := StackName(tc.stage); got != tc.want {
			t.Errorf("StackName(%q) = %q, want %q", tc.stage, got, tc.want)
		}
	}
}
