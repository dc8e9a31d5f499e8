package iban

import "strings"

// MaskRune replaces the hidden characters of a masked IBAN.
const MaskRune = '*'

// Mask returns iban as a caller without access to bank details sees it: the country code
// (the first two characters) and the last four stay, every other character becomes
// MaskRune, so the masked value has the length of the stored one (a front end can lay it
// out) and still tells accounts apart the way a statement does. A value of six characters
// or fewer (never a valid IBAN) is masked entirely: keeping six of them would show it all.
//
// Mask is deterministic and depends only on the stored value, so a masked value sent back
// unchanged can be recognised (Masks), and a masked read reveals nothing a second masked
// read would not.
func Mask(iban string) string {
	if len(iban) <= 6 {
		return strings.Repeat(string(MaskRune), len(iban))
	}
	return iban[:2] + strings.Repeat(string(MaskRune), len(iban)-6) + iban[len(iban)-4:]
}

// IsMasked reports whether s has the form of a masked IBAN (Mask's output): it holds
// MaskRune, which no IBAN does.
func IsMasked(s string) bool { return strings.ContainsRune(s, MaskRune) }
