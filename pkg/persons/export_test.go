package persons

// Key-scheme internals, for the external tests.
var (
	PersonPK = personPK
	GSI1SK   = gsi1SK
)

const ProfileSK = profileSK
