package persons

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/personsapi/persons/pkg/input"
)

const (
	pidA = "11111111-1111-4111-8111-111111111111"
	pidB = "22222222-2222-4222-8222-222222222222"
)

var (
	keyA = bytes.Repeat([]byte{'a'}, MinCursorKeyLen)
	keyB = bytes.Repeat([]byte{'b'}, MinCursorKeyLen)
	t0   = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

// cursorStore is a store that only makes and reads cursors, with the given keys, at the
// time *now.
func cursorStore(now *time.Time, keys ...[]byte) *Store {
	return New(nil, "unused", WithCursorKeys(keys...), WithClock(func() time.Time { return *now }))
}

func childKey(personID string, k *Kind, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: sv(personPK(personID)), AttrSK: sv(k.sk(id))}
}

func personKey(first, last, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: sv(personPK(id)), AttrSK: sv(profileSK), AttrGSI1PK: sv(personsGSI1PK), AttrGSI1SK: sv(gsi1SK(last, first, id)),
	}
}

func mustEncode(t testing.TB, s *Store, l listRef, item map[string]types.AttributeValue) string {
	t.Helper()
	c, err := s.encodeCursor(l, item)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawCursor returns the bytes of a cursor: payload and tag.
func rawCursor(t testing.TB, c string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func payloadOf(t testing.TB, c string) []byte {
	b := rawCursor(t, c)
	return b[:len(b)-cursorTagLen]
}

// payload builds a version 1 payload.
func payload(issued uint64, values ...string) []byte {
	p := binary.AppendUvarint([]byte{cursorVersion}, issued)
	for _, v := range values {
		p = binary.AppendUvarint(p, uint64(len(v)))
		p = append(p, v...)
	}
	return p
}

func wantInvalid(t *testing.T, s *Store, l listRef, c string) {
	t.Helper()
	if key, err := s.decodeCursor(l, c); !errors.Is(err, ErrInvalidCursor) || errors.Is(err, ErrCursorExpired) || key != nil {
		t.Errorf("decodeCursor(%.40q…) = %v, %v; want ErrInvalidCursor (not expired)", c, key, err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	now := t0
	s := cursorStore(&now, keyA)
	tests := []struct {
		name string
		list listRef
		item map[string]types.AttributeValue
	}{
		{"related list", childList(pidA, AddressKind), childKey(pidA, AddressKind, pidB)},
		{"persons", personsList("", ""), personKey("Ann", "Smith", pidA)},
		{"persons with a prefix", personsList("smi", "smi"), personKey("Ann", "Smith", pidA)},
		{"long names", personsList("", ""), personKey(strings.Repeat("𝔄", 100), strings.Repeat("𝔅", 100), pidA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustEncode(t, s, tt.list, tt.item)
			if len(c) > maxCursorLen {
				t.Fatalf("cursor of %d characters, over maxCursorLen", len(c))
			}
			key, err := s.decodeCursor(tt.list, c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(key, tt.item) {
				t.Errorf("start key %v, want %v", key, tt.item)
			}
		})
	}
	if key, err := s.decodeCursor(childList(pidA, AddressKind), ""); key != nil || err != nil {
		t.Errorf("empty cursor = %v, %v; want nil, nil", key, err)
	}
}

// TestCursorLength pins the length of typical cursors (they travel in URLs).
// Unsigned JSON cursors were 230 (persons) and 234 (related list) characters long.
func TestCursorLength(t *testing.T) {
	now := t0
	s := cursorStore(&now, keyA)
	persons := mustEncode(t, s, personsList("", ""), personKey("Ann", "Smith", pidA))
	related := mustEncode(t, s, childList(pidA, AddressKind), childKey(pidA, AddressKind, pidB))
	t.Logf("persons list cursor: %d characters; related list cursor: %d", len(persons), len(related))
	if len(persons) > 180 || len(related) > 120 {
		t.Errorf("cursors grew: %d and %d characters", len(persons), len(related))
	}
}

func TestCursorRejects(t *testing.T) {
	now := t0
	s := cursorStore(&now, keyA)
	addrs := childList(pidA, AddressKind)
	addrA := mustEncode(t, s, addrs, childKey(pidA, AddressKind, pidB))
	all := mustEncode(t, s, personsList("", ""), personKey("Ann", "Smith", pidA))
	smi := mustEncode(t, s, personsList("smi", "smi"), personKey("Ann", "Smith", pidA))
	flip := func(c string, i int) string { // flips a bit of byte i (negative: from the end)
		b := rawCursor(t, c)
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x01
		return cursorEncoding.EncodeToString(b)
	}
	signed := func(p []byte) string { return s.signCursor(addrs, p) }
	// The unsigned format of before: what clients hold while the signed one is deployed.
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `","sk":"ADDRESS#` + pidB + `"}}`))

	stdAlphabet := strings.NewReplacer("-", "+", "_", "/").Replace(all)
	if stdAlphabet == all {
		t.Fatal("pick a cursor with - or _ in it")
	}

	tests := []struct {
		name   string
		list   listRef
		cursor string
	}{
		{"another person", childList(pidB, AddressKind), addrA},
		{"another kind", childList(pidA, ContactKind), addrA},
		{"table cursor on GSI", personsList("", ""), addrA},
		{"GSI cursor on table", addrs, all},
		{"another prefix", personsList("jo", "jo"), smi},
		{"unfiltered cursor on prefix list", personsList("smi", "smi"), all},
		{"prefix cursor on unfiltered list", personsList("", ""), smi},

		{"tampered tag, last byte", addrs, flip(addrA, -1)},
		{"tampered tag, first byte", addrs, flip(addrA, -cursorTagLen)},
		{"tampered version", addrs, flip(addrA, 0)},
		{"tampered issue time", addrs, flip(addrA, 1)},
		{"tampered and expired", addrs, flip(mustEncode(t, cursorStore(new(t0.Add(-2*CursorLifetime)), keyA), addrs, childKey(pidA, AddressKind, pidB)), -1)},
		{"tampered key", addrs, flip(addrA, -cursorTagLen-1)},
		{"signed with another key", addrs, mustEncode(t, cursorStore(&now, keyB), addrs, childKey(pidA, AddressKind, pidB))},
		{"unsigned cursor of before", addrs, unsigned},

		{"truncated by a character", addrs, addrA[:len(addrA)-1]},
		{"truncated by a byte", addrs, cursorEncoding.EncodeToString(rawCursor(t, addrA)[:len(rawCursor(t, addrA))-1])},
		{"payload only", addrs, cursorEncoding.EncodeToString(payloadOf(t, addrA))},
		{"tag only", addrs, cursorEncoding.EncodeToString(rawCursor(t, addrA)[len(payloadOf(t, addrA)):])},
		{"extended", addrs, addrA + "AA"},
		{"padded", addrs, addrA + "="},
		{"newline inside", addrs, addrA[:10] + "\n" + addrA[10:]},
		{"standard alphabet", personsList("", ""), stdAlphabet},

		{"not base64", addrs, "!!!"},
		{"empty object", addrs, "e30"},
		{"space", addrs, " "},
		{"zero bytes", addrs, string(make([]byte, 64))},
		{"huge", addrs, strings.Repeat("A", 5000)},
		{"just over the limit", addrs, strings.Repeat("A", maxCursorLen+1)},

		// Signed with the right key, yet not a start key of the list: stopped after the tag.
		{"signed, empty payload", addrs, signed(nil)},
		{"signed, another version", addrs, signed(append([]byte{2}, payload(uint64(t0.Unix()), AddressKind.sk(pidB))[1:]...))},
		{"signed, no time", addrs, signed([]byte{cursorVersion})},
		{"signed, time over int64", addrs, signed(payload(math.MaxUint64, AddressKind.sk(pidB)))},
		{"signed, no value", addrs, signed(payload(uint64(t0.Unix())))},
		{"signed, empty value", addrs, signed(payload(uint64(t0.Unix()), ""))},
		{"signed, two values", addrs, signed(payload(uint64(t0.Unix()), AddressKind.sk(pidB), "x"))},
		{"signed, trailing byte", addrs, signed(append(payload(uint64(t0.Unix()), AddressKind.sk(pidB)), 0))},
		{"signed, length past the end", addrs, signed(append(payload(uint64(t0.Unix())), 50, 'A'))},
		{"signed, length over int", addrs, signed(binary.AppendUvarint(payload(uint64(t0.Unix())), math.MaxUint64))},
		{"signed, sk of another kind", addrs, signed(payload(uint64(t0.Unix()), ContactKind.sk(pidB)))},
		{"signed, bare kind prefix", addrs, signed(payload(uint64(t0.Unix()), AddressKind.skPrefix))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantInvalid(t, s, tt.list, tt.cursor) })
	}

	// Every single-bit change anywhere in a cursor is detected.
	for i := range rawCursor(t, all) {
		for bit := range 8 {
			b := rawCursor(t, all)
			b[i] ^= 1 << bit
			if _, err := s.decodeCursor(personsList("", ""), cursorEncoding.EncodeToString(b)); !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("bit %d of byte %d flipped: %v; want ErrInvalidCursor", bit, i, err)
			}
		}
	}
}

func TestCursorExpiry(t *testing.T) {
	now := t0
	s := cursorStore(&now, keyA)
	l := childList(pidA, AddressKind)
	c := mustEncode(t, s, l, childKey(pidA, AddressKind, pidB))
	tests := []struct {
		name  string
		after time.Duration
		ok    bool
	}{
		{"at once", 0, true},
		{"an hour later", time.Hour, true},
		{"at the end of its lifetime", CursorLifetime, true},
		{"a second after", CursorLifetime + time.Second, false},
		{"a year after", 365 * CursorLifetime, false},
		{"verifier's clock a little behind", -cursorClockSkew, true},
		{"issued in the future", -cursorClockSkew - time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = t0.Add(tt.after)
			_, err := s.decodeCursor(l, c)
			if tt.ok && err != nil {
				t.Errorf("%v", err)
			}
			if !tt.ok && (!errors.Is(err, ErrCursorExpired) || !errors.Is(err, ErrInvalidCursor)) {
				t.Errorf("%v; want ErrCursorExpired, an ErrInvalidCursor", err)
			}
		})
	}
}

// TestCursorKeyRotation walks through the rotation WithCursorKeys describes.
func TestCursorKeyRotation(t *testing.T) {
	now := t0
	l := childList(pidA, AddressKind)
	item := childKey(pidA, AddressKind, pidB)
	old := cursorStore(&now, keyA)
	step1 := cursorStore(&now, keyA, keyB)
	step2 := cursorStore(&now, keyB, keyA)
	step3 := cursorStore(&now, keyB)
	byOld, byStep1, byStep2 := mustEncode(t, old, l, item), mustEncode(t, step1, l, item), mustEncode(t, step2, l, item)
	if byOld != byStep1 {
		t.Error("step 1 signs with another key than before")
	}
	for _, tt := range []struct {
		name   string
		s      *Store
		cursor string
		ok     bool
	}{
		{"step 1 accepts cursors of before", step1, byOld, true},
		{"step 1 accepts cursors of step 2", step1, byStep2, true},
		{"step 2 accepts cursors of before", step2, byOld, true},
		{"step 3 accepts cursors of step 2", step3, byStep2, true},
		{"step 3 refuses the old key", step3, byOld, false},
		{"before refuses the new key", old, byStep2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.s.decodeCursor(l, tt.cursor)
			if tt.ok != (err == nil) {
				t.Errorf("decodeCursor: %v", err)
			}
		})
	}
}

// A store without keys signs with a key of its own: its cursors work for itself only.
func TestCursorRandomKey(t *testing.T) {
	l := childList(pidA, AddressKind)
	s1, s2 := New(nil, "t"), New(nil, "t")
	c := mustEncode(t, s1, l, childKey(pidA, AddressKind, pidB))
	if _, err := s1.decodeCursor(l, c); err != nil {
		t.Errorf("own cursor: %v", err)
	}
	wantInvalid(t, s2, l, c)
	if len(s1.cursorKeys) != 1 || len(s1.cursorKeys[0]) < MinCursorKeyLen || bytes.Equal(s1.cursorKeys[0], s2.cursorKeys[0]) {
		t.Errorf("random keys %x and %x", s1.cursorKeys, s2.cursorKeys)
	}
}

func TestWithCursorKeys(t *testing.T) {
	k := bytes.Clone(keyA)
	now := t0
	s := cursorStore(&now, k)
	k[0] = 'x' // the store keeps its own copy
	if !bytes.Equal(s.cursorKeys[0], keyA) {
		t.Error("the store shares the caller's key")
	}
	for _, keys := range [][][]byte{nil, {keyA, keyA[:MinCursorKeyLen-1]}, {{}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithCursorKeys(%d keys) did not panic", len(keys))
				}
			}()
			WithCursorKeys(keys...)
		}()
	}
}

func TestParseCursorKeys(t *testing.T) {
	k32 := bytes.Repeat([]byte{0xfb}, 32) // + and / in the standard alphabet, - and _ in the URL one
	k48 := bytes.Repeat([]byte{0xff, 0xef, 0x01}, 16)
	std, url := base64.StdEncoding.EncodeToString(k32), base64.RawURLEncoding.EncodeToString(k48)
	tests := []struct {
		in      string
		want    [][]byte
		errWith string
	}{
		{std, [][]byte{k32}, ""},
		{base64.RawStdEncoding.EncodeToString(k32), [][]byte{k32}, ""},
		{url, [][]byte{k48}, ""},
		{base64.URLEncoding.EncodeToString(k48), [][]byte{k48}, ""},
		{" " + url + " , " + std + "\n", [][]byte{k48, k32}, ""},
		{"", nil, "no cursor key"},
		{"  ", nil, "no cursor key"},
		{std + ",", nil, "key 2 of 2 is 0 bytes long"},
		{base64.StdEncoding.EncodeToString(k32[:31]), nil, "key 1 of 1 is 31 bytes long, want at least 32"},
		{std + ",c2VjcmV0", nil, "key 2 of 2 is 6 bytes long"},
		{std + ",not*base64", nil, "key 2 of 2 is not base64"},
		{"A", nil, "key 1 of 1 is not base64"},
	}
	for _, tt := range tests {
		got, err := ParseCursorKeys(tt.in)
		if tt.errWith == "" {
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCursorKeys(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.errWith) || got != nil {
			t.Errorf("ParseCursorKeys(%q) = %x, %v; want an error with %q", tt.in, got, err, tt.errWith)
		}
		for _, k := range strings.Split(tt.in, ",") { // keys are secrets: errors must not show them
			if k = strings.TrimSpace(k); err != nil && len(k) >= 4 && strings.Contains(err.Error(), k) {
				t.Errorf("the error %q shows a key", err)
			}
		}
	}
}

func TestPageLimit(t *testing.T) {
	tests := []struct {
		in, max, want int
		ok            bool
	}{
		{0, MaxLimit, DefaultLimit, true}, {1, MaxLimit, 1, true}, {100, MaxLimit, 100, true},
		{101, MaxLimit, 0, false}, {-1, MaxLimit, 0, false},
		{0, MaxPersonsLimit, DefaultLimit, true}, {1000, MaxPersonsLimit, 1000, true}, {1001, MaxPersonsLimit, 0, false},
	}
	for _, tt := range tests {
		got, err := pageLimit(tt.in, tt.max)
		var ve *input.ValidationError
		if got != tt.want || (err == nil) != tt.ok || (err != nil && (!errors.As(err, &ve) || ve.Fields[0].Field != "limit")) {
			t.Errorf("pageLimit(%d, %d) = %d, %v", tt.in, tt.max, got, err)
		}
	}
}

// FuzzDecodeCursor: any string is either a valid start key of the list or
// ErrInvalidCursor; never a panic, never a key outside the list. The fuzzer cannot
// forge a tag, so each input is also signed as a payload: that reaches the parser
// behind the tag check, which only ever sees what the store itself signed.
func FuzzDecodeCursor(f *testing.F) {
	now := t0
	s := cursorStore(&now, keyA)
	l := childList(pidA, AddressKind)
	good := mustEncode(f, s, l, childKey(pidA, AddressKind, pidB))
	f.Add(good)
	f.Add(string(payloadOf(f, good)))
	f.Add("")
	f.Add("e30")
	f.Add(string(payload(uint64(t0.Unix()), AddressKind.skPrefix)))
	f.Add(string(payload(uint64(t0.Unix()), AddressKind.sk(pidB), "x")))
	f.Add(string(binary.AppendUvarint(payload(uint64(t0.Unix())), math.MaxUint64)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"l":"table|PERSON#` + pidA + `|ADDRESS#","k":{"pk":"PERSON#` + pidA + `","sk":"ADDRESS#"}}`)))
	f.Fuzz(func(t *testing.T, c string) {
		for _, c := range []string{c, s.signCursor(l, []byte(c))} {
			key, err := s.decodeCursor(l, c)
			if err != nil {
				if !errors.Is(err, ErrInvalidCursor) || key != nil {
					t.Fatalf("decodeCursor = %v, %v; want ErrInvalidCursor", key, err)
				}
				continue
			}
			if key == nil {
				if c != "" {
					t.Fatal("nil key without error for a non-empty cursor")
				}
				continue
			}
			if b, err := cursorEncoding.DecodeString(c); err != nil || cursorEncoding.EncodeToString(b) != c {
				t.Fatalf("accepted a cursor in a non-canonical encoding: %q", c)
			}
			pk := key[AttrPK].(*types.AttributeValueMemberS).Value
			sk := key[AttrSK].(*types.AttributeValueMemberS).Value
			if len(key) != 2 || pk != personPK(pidA) || len(sk) <= len("ADDRESS#") || sk[:len("ADDRESS#")] != "ADDRESS#" {
				t.Fatalf("decoded key outside the list: %v", key)
			}
		}
	})
}
