package iban

import "testing"

func TestCheckDigits(t *testing.T) {
	for _, iban := range []string{
		"GB82WEST12345698765432",
		"DE89370400440532013000",
		"NL91ABNA0417164300",
		"FR1420041010050500013M02606",
		"BE68539007547034",
		"CH9300762011623852957",
	} {
		if got := CheckDigits(iban[:2], iban[4:]); got != iban[2:4] {
			t.Errorf("CheckDigits(%s) = %s, want %s", iban, got, iban[2:4])
		}
		if !ValidCheckDigits(iban) {
			t.Errorf("ValidCheckDigits(%s) = false", iban)
		}
	}
}

func TestValidCheckDigitsRejects(t *testing.T) {
	for _, s := range []string{
		"GB82WEST12345698765431", // last digit changed
		"GB28WEST12345698765432", // check digits transposed
		"GB82WETS12345698765432", // letters transposed
		"GB00WEST12345698765432", // never computed
		"GB01WEST12345698765432",
		"GB99WEST12345698765432",
		"GB82", "",
	} {
		if ValidCheckDigits(s) {
			t.Errorf("ValidCheckDigits(%q) = true", s)
		}
	}
}
