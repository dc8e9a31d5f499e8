package persons

import "testing"

func TestGSI1SKOrdersByLastFirstID(t *testing.T) {
	tests := []struct {
		name         string
		lower, upper [3]string // lastName, firstName, id
	}{
		{"last name first", [3]string{"Adams", "Zoe", "2"}, [3]string{"Brown", "Amy", "1"}},
		{"case-insensitive", [3]string{"adams", "Zoe", "1"}, [3]string{"Baker", "Amy", "1"}},
		{"first name breaks ties", [3]string{"Smith", "Anna", "9"}, [3]string{"SMITH", "bob", "1"}},
		{"id breaks ties", [3]string{"Smith", "Anna", "1"}, [3]string{"Smith", "anna", "2"}},
		{"shorter last name first", [3]string{"De", "Zed", "1"}, [3]string{"De Vries", "Amy", "1"}},
		{"prefix then hyphen", [3]string{"Smith", "Zed", "1"}, [3]string{"Smith-Jones", "Amy", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := gsi1SK(tt.lower[0], tt.lower[1], tt.lower[2])
			b := gsi1SK(tt.upper[0], tt.upper[1], tt.upper[2])
			if !(a < b) {
				t.Errorf("gsi1SK(%v)=%q should sort before gsi1SK(%v)=%q", tt.lower, a, tt.upper, b)
			}
		})
	}
}

func TestGSI1PrefixMatches(t *testing.T) {
	tests := []struct {
		prefix, last string
		want         bool
	}{
		{"smi", "Smith", true},
		{"SMITH", "smith", true},
		{"Straße", "STRASSE", true},
		{"jon", "Smith", false},
		{"smith", "Smit", false},
	}
	for _, tt := range tests {
		sk := gsi1SK(tt.last, "x", "id")
		p := gsi1Prefix(tt.prefix)
		if got := len(sk) >= len(p) && sk[:len(p)] == p; got != tt.want {
			t.Errorf("prefix %q on %q = %v, want %v", tt.prefix, tt.last, got, tt.want)
		}
	}
}
