package gtid

// UUID is a server UUID, the SID part of a MySQL GTID. It renders as the
// usual 8-4-4-4-12 lower-case hex text, also in JSON.
type UUID [16]byte

func (u UUID) String() string { return string(appendUUID(make([]byte, 0, 36), u)) }

// MarshalText renders the UUID as text, so JSON shows it readably.
func (u UUID) MarshalText() ([]byte, error) { return appendUUID(nil, u), nil }
