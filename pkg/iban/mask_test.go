package iban

import "testing"

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"DE89370400440532013000", "DE****************3000"},
		{"GB82WEST12345698765432", "GB****************5432"},
		{"NO9386011117947", "NO*********7947"},
		{"ABCDEFG", "AB*DEFG"},
		{"ABCDEF", "******"},
		{"", ""},
	} {
		got := Mask(tc.in)
		if got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(got) != len(tc.in) {
			t.Errorf("Mask(%q): length %d, want %d", tc.in, len(got), len(tc.in))
		}
		if tc.in != "" && !IsMasked(got) {
			t.Errorf("IsMasked(%q) = false", got)
		}
	}
	if IsMasked("DE89370400440532013000") {
		t.Error("a real IBAN counts as masked")
	}
}
