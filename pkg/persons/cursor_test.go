package persons

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/personsapi/persons/pkg/input"
)

const (
	pidA = "11111111-1111-4111-8111-111111111111"
	pidB = "22222222-2222-4222-8222-222222222222"
)

func childKey(personID string, k *Kind, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: sv(personPK(personID)), AttrSK: sv(k.sk(id))}
}

func TestCursorRoundTrip(t *testing.T) {
	l := childList(pidA, AddressKind)
	c, err := encodeCursor(l, childKey(pidA, AddressKind, pidB))
	if err != nil {
		t.Fatal(err)
	}
	key, err := decodeCursor(l, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := key[AttrSK].(*types.AttributeValueMemberS).Value; got != AddressKind.sk(pidB) {
		t.Errorf("sk = %q", got)
	}
	if key, err := decodeCursor(l, ""); key != nil || err != nil {
		t.Errorf("empty cursor = %v, %v; want nil, nil", key, err)
	}
}

func TestCursorRejectsOtherLists(t *testing.T) {
	addrA, _ := encodeCursor(childList(pidA, AddressKind), childKey(pidA, AddressKind, pidB))
	person := map[string]types.AttributeValue{
		AttrPK: sv(personPK(pidA)), AttrSK: sv(profileSK), AttrGSI1PK: sv(personsGSI1PK), AttrGSI1SK: sv(gsi1SK("Smith", "Ann", pidA)),
	}
	all, _ := encodeCursor(personsList(""), person)
	smi, _ := encodeCursor(personsList("smi"), person)
	forge := func(body string) string { return base64.RawURLEncoding.EncodeToString([]byte(body)) }
	tests := []struct {
		name   string
		list   listRef
		cursor string
	}{
		{"another person", childList(pidB, AddressKind), addrA},
		{"another kind", childList(pidA, ContactKind), addrA},
		{"table cursor on GSI", personsList(""), addrA},
		{"GSI cursor on table", childList(pidA, AddressKind), all},
		{"another prefix", personsList("jo"), smi},
		{"unfiltered cursor on prefix list", personsList("smi"), all},
		{"not base64", childList(pidA, AddressKind), "!!!"},
		{"not JSON", childList(pidA, AddressKind), forge("hello")},
		{"JSON array", childList(pidA, AddressKind), forge("[1,2]")},
		{"missing key", childList(pidA, AddressKind), forge(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `"}}`)},
		{"extra key", childList(pidA, AddressKind), forge(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `","sk":"ADDRESS#x","gsi1pk":"x"}}`)},
		{"forged pk", childList(pidA, AddressKind), forge(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidB + `","sk":"ADDRESS#x"}}`)},
		{"forged sk", childList(pidA, AddressKind), forge(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `","sk":"BANK#x"}}`)},
		{"empty value", childList(pidA, AddressKind), forge(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"","sk":"ADDRESS#x"}}`)},
		{"too long", childList(pidA, AddressKind), string(make([]byte, 5000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := decodeCursor(tt.list, tt.cursor)
			if !errors.Is(err, ErrInvalidCursor) || key != nil {
				t.Errorf("decodeCursor = %v, %v; want ErrInvalidCursor", key, err)
			}
		})
	}
}

func TestPageLimit(t *testing.T) {
	tests := []struct {
		in, want int
		ok       bool
	}{{0, DefaultLimit, true}, {1, 1, true}, {100, 100, true}, {101, 0, false}, {-1, 0, false}}
	for _, tt := range tests {
		got, err := pageLimit(tt.in)
		var ve *input.ValidationError
		if got != tt.want || (err == nil) != tt.ok || (err != nil && (!errors.As(err, &ve) || ve.Fields[0].Field != "limit")) {
			t.Errorf("pageLimit(%d) = %d, %v", tt.in, got, err)
		}
	}
}

// FuzzDecodeCursor: any string is either a valid start key of the list or ErrInvalidCursor;
// never a panic, never a key outside the list.
func FuzzDecodeCursor(f *testing.F) {
	good, _ := encodeCursor(childList(pidA, AddressKind), childKey(pidA, AddressKind, pidB))
	f.Add(good)
	f.Add("")
	f.Add("e30")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `","sk":"ADDRESS#"}}`)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"l":null,"k":{"pk":1}}`)))
	f.Fuzz(func(t *testing.T, c string) {
		l := childList(pidA, AddressKind)
		key, err := decodeCursor(l, c)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("error %v is not ErrInvalidCursor", err)
			}
			return
		}
		if key == nil {
			if c != "" {
				t.Fatal("nil key without error for a non-empty cursor")
			}
			return
		}
		pk := key[AttrPK].(*types.AttributeValueMemberS).Value
		sk := key[AttrSK].(*types.AttributeValueMemberS).Value
		if pk != personPK(pidA) || len(sk) <= len("ADDRESS#") || sk[:len("ADDRESS#")] != "ADDRESS#" {
			t.Fatalf("decoded key outside the list: %s %s", pk, sk)
		}
	})
}
