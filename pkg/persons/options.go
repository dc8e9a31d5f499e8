package persons

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MinCursorKeyLen is the shortest cursor key accepted, in bytes: as long as the
// HMAC-SHA256 output, so that the key is not the weak point.
const MinCursorKeyLen = 32

// An Option configures a Store (New).
type Option func(*Store)

// WithCursorKeys sets the keys that sign and verify list cursors. The first key signs;
// every key verifies. To rotate keys without breaking the cursors clients hold:
//
//  1. deploy [old, new]: every instance now accepts cursors signed with new;
//  2. deploy [new, old]: new signs, cursors signed with old stay valid;
//  3. after CursorLifetime, deploy [new].
//
// Step 1 is there because old and new instances serve side by side while a deployment
// rolls out: an old instance must not refuse a cursor a new one signed.
//
// Without this option New generates a random key per Store: its cursors are not
// accepted by another process (another Lambda instance, or the same one after a
// restart), so deployed functions must configure their keys.
//
// WithCursorKeys panics if no key is given or a key is shorter than MinCursorKeyLen:
// validate configuration with ParseCursorKeys. The keys are copied.
func WithCursorKeys(keys ...[]byte) Option {
	if len(keys) == 0 {
		panic("persons: WithCursorKeys without a key")
	}
	own := make([][]byte, len(keys))
	for i, k := range keys {
		if err := checkCursorKey(i, len(keys), k); err != nil {
			panic("persons: WithCursorKeys: " + err.Error())
		}
		own[i] = append([]byte(nil), k...)
	}
	return func(s *Store) { s.cursorKeys = own }
}

// WithClock sets the store's clock (default time.Now): the source of the times it
// writes (createdAt, updatedAt) and of the age of cursors. Tests use it to expire
// cursors.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// ParseCursorKeys parses the value of deploy.EnvCursorKeys: comma-separated keys, each base64
// (standard or URL alphabet, padding optional) of at least MinCursorKeyLen bytes, the
// signing key first. Generate a key with
//
//	openssl rand -base64 32
//
// An empty value is an error: a deployed function must not fall back to a random key.
// The errors name keys by position, never by content.
func ParseCursorKeys(s string) ([][]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no cursor key: want comma-separated base64 keys of at least 32 bytes each (openssl rand -base64 32)")
	}
	parts := strings.Split(s, ",")
	keys := make([][]byte, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		// Either alphabet, with or without padding: whatever a tool printed.
		p = strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(p, "="))
		k, err := base64.RawStdEncoding.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("cursor key %d of %d is not base64: %v", i+1, len(parts), err)
		}
		if err := checkCursorKey(i, len(parts), k); err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}

func checkCursorKey(i, n int, k []byte) error {
	if len(k) < MinCursorKeyLen {
		return fmt.Errorf("cursor key %d of %d is %d bytes long, want at least %d (openssl rand -base64 32)", i+1, n, len(k), MinCursorKeyLen)
	}
	return nil
}

// randomCursorKey returns a fresh key for a store that was given none.
func randomCursorKey() []byte {
	k := make([]byte, MinCursorKeyLen)
	rand.Read(k) // never fails: it crashes the program instead
	return k
}
