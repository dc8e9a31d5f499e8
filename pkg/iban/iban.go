// Package iban computes and checks the check digits of International Bank Account Numbers
// (ISO 13616) with the ISO 7064 MOD 97-10 scheme.
package iban

import "fmt"

// mod97 is the remainder modulo 97 of the number s stands for when every letter A–Z is
// replaced by 10–35, computed digit by digit so that no big integers are needed. Other
// characters are skipped.
func mod97(s string) int {
	r := 0
	for i := range len(s) {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return r
}

// CheckDigits returns the two check digits of the IBAN of country (two upper-case
// letters) and bban (upper-case letters and digits): 98 minus the remainder of
// bban + country + "00" modulo 97.
func CheckDigits(country, bban string) string {
	return fmt.Sprintf("%02d", 98-mod97(bban+country+"00"))
}

// ValidCheckDigits reports whether the check digits of iban, in electronic format (upper
// case, no spaces, at least 5 characters), are right: moved behind the account
// identifier, the whole number is 1 modulo 97. Check digits 00, 01 and 99 never come out
// of CheckDigits, although 99 would pass the modulo test, so they are rejected.
func ValidCheckDigits(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	if cd := iban[2:4]; cd < "02" || cd > "98" {
		return false
	}
	return mod97(iban[4:]+iban[:4]) == 1
}
