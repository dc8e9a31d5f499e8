package persons

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
)

// Tag is a strong validator of the whole person: it changes whenever anything of the
// person changes. It is a hash of the sort key and version of every item of the
// partition: every write of an item bumps its version, a create adds a sort key and a
// delete removes one. (A demotion bumps the demoted item's version; PROFILE attributes
// that no response shows, such as counters and primary pointers, only change along with an
// item.) The HTTP API sends it as the ETag of GET /persons/{id}?include=all.
//
// Format: the first 16 bytes of SHA-256 over the lines "<sk> <version>\n" in byte order
// of sk, in unpadded base64url: 22 characters.
func (d *PersonDetails) Tag() string {
	lines := []string{profileSK + " " + strconv.FormatInt(d.Version, 10) + "\n"}
	for _, k := range Kinds {
		k.versions(d, func(sk string, v int64) {
			lines = append(lines, sk+" "+strconv.FormatInt(v, 10)+"\n")
		})
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}
