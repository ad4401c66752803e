package gtid

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MariaDBGTID is a MariaDB global transaction ID "domain-server-seq".
type MariaDBGTID struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

// ParseMariaDBGTID parses "domain-server-seq": three decimal numbers
// (uint32, uint32, uint64) separated by '-', as gtid_parser_helper in
// MariaDB's sql/rpl_gtid.cc reads them. No whitespace, no sign.
func ParseMariaDBGTID(s string) (MariaDBGTID, error) {
	var g MariaDBGTID
	d, rest, ok := strings.Cut(s, "-")
	if !ok {
		return g, fmt.Errorf("gtid: parse MariaDB GTID %q: want domain-server-seq", s)
	}
	sv, q, ok := strings.Cut(rest, "-")
	if !ok {
		return g, fmt.Errorf("gtid: parse MariaDB GTID %q: want domain-server-seq", s)
	}
	dv, err := parseDecimal(d, math.MaxUint32)
	if err != nil {
		return g, fmt.Errorf("gtid: parse MariaDB GTID %q: domain: %w", s, err)
	}
	svv, err := parseDecimal(sv, math.MaxUint32)
	if err != nil {
		return g, fmt.Errorf("gtid: parse MariaDB GTID %q: server id: %w", s, err)
	}
	qv, err := parseDecimal(q, math.MaxUint64)
	if err != nil {
		return g, fmt.Errorf("gtid: parse MariaDB GTID %q: sequence number: %w", s, err)
	}
	return MariaDBGTID{Domain: uint32(dv), Server: uint32(svv), Seq: qv}, nil
}

// parseDecimal accepts only ASCII digits up to limit. The explicit digit
// check keeps out underscores and signs whatever strconv's rules become.
func parseDecimal(s string, limit uint64) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > limit {
		return 0, fmt.Errorf("%s exceeds %d", s, limit)
	}
	return v, nil
}

// String returns "domain-server-seq".
func (g MariaDBGTID) String() string {
	return string(g.AppendText(make([]byte, 0, 24)))
}

// AppendText appends "domain-server-seq" to b.
func (g MariaDBGTID) AppendText(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(g.Domain), 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(g.Server), 10)
	b = append(b, '-')
	return strconv.AppendUint(b, g.Seq, 10)
}

// MarshalText returns "domain-server-seq".
func (g MariaDBGTID) MarshalText() ([]byte, error) { return g.AppendText(nil), nil }

// UnmarshalText parses "domain-server-seq".
func (g *MariaDBGTID) UnmarshalText(b []byte) error {
	v, err := ParseMariaDBGTID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// MariaDBPos is a MariaDB replication position: at most one GTID per
// replication domain, the last transaction applied in that domain, as in
// @@gtid_slave_pos, @@gtid_current_pos and the @slave_connect_state a replica
// sends before COM_BINLOG_DUMP. The zero value is an empty position.
type MariaDBPos struct {
	gtids []MariaDBGTID // sorted by Domain, unique
}

func (p *MariaDBPos) find(domain uint32) (int, bool) {
	return slices.BinarySearchFunc(p.gtids, domain, func(g MariaDBGTID, d uint32) int {
		switch {
		case g.Domain < d:
			return -1
		case g.Domain > d:
			return 1
		}
		return 0
	})
}

// ParseMariaDBPos parses a comma-separated list of GTIDs, such as
// "0-1-100,1-2-5". Whitespace around the commas is allowed; an empty or
// all-blank string is the empty position. Two GTIDs for one domain are an
// error: the server rejects such a list too (ER_DUPLICATE_GTID_DOMAIN), and
// which one was meant cannot be guessed.
func ParseMariaDBPos(s string) (*MariaDBPos, error) {
	p := &MariaDBPos{}
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	off := 0
	for part := range strings.SplitSeq(s, ",") {
		at := off
		off += len(part) + 1
		t := strings.TrimSpace(part)
		if t == "" {
			return nil, fmt.Errorf("gtid: parse MariaDB position %s: empty GTID at offset %d", quoteShort(s), at)
		}
		g, err := ParseMariaDBGTID(t)
		if err != nil {
			return nil, fmt.Errorf("gtid: parse MariaDB position %s at offset %d: %w", quoteShort(s), at, err)
		}
		i, dup := p.find(g.Domain)
		if dup {
			return nil, fmt.Errorf("gtid: parse MariaDB position %s: domain %d appears twice (%s and %s)", quoteShort(s), g.Domain, p.gtids[i], g)
		}
		p.gtids = slices.Insert(p.gtids, i, g)
	}
	return p, nil
}

// String returns the GTIDs in ascending domain order, comma-separated; ""
// when empty.
func (p *MariaDBPos) String() string {
	if p.IsEmpty() {
		return ""
	}
	return string(p.AppendText(make([]byte, 0, 24*len(p.gtids))))
}

// AppendText appends the text of String to b.
func (p *MariaDBPos) AppendText(b []byte) []byte {
	if p == nil {
		return b
	}
	for i, g := range p.gtids {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.AppendText(b)
	}
	return b
}

// Update makes g the position of its domain, whatever was there before
// (also a higher sequence number: after a failover a domain's position may
// legitimately move to another server's GTID).
func (p *MariaDBPos) Update(g MariaDBGTID) {
	i, ok := p.find(g.Domain)
	if ok {
		p.gtids[i] = g
		return
	}
	p.gtids = slices.Insert(p.gtids, i, g)
}

// Get returns the GTID of a domain.
func (p *MariaDBPos) Get(domain uint32) (MariaDBGTID, bool) {
	if p == nil {
		return MariaDBGTID{}, false
	}
	i, ok := p.find(domain)
	if !ok {
		return MariaDBGTID{}, false
	}
	return p.gtids[i], true
}

// Domains returns a copy of the GTIDs, one per domain, ascending by domain.
func (p *MariaDBPos) Domains() []MariaDBGTID {
	if p == nil {
		return nil
	}
	return slices.Clone(p.gtids)
}

// Clone returns an independent copy.
func (p *MariaDBPos) Clone() *MariaDBPos {
	if p == nil {
		return &MariaDBPos{}
	}
	return &MariaDBPos{gtids: slices.Clone(p.gtids)}
}

// Equal reports whether both positions hold the same GTIDs (server ids
// included). A nil position equals an empty one.
func (p *MariaDBPos) Equal(o *MariaDBPos) bool {
	var a, b []MariaDBGTID
	if p != nil {
		a = p.gtids
	}
	if o != nil {
		b = o.gtids
	}
	return slices.Equal(a, b)
}

// IsEmpty reports whether the position names no domain.
func (p *MariaDBPos) IsEmpty() bool { return p == nil || len(p.gtids) == 0 }

// Contains reports whether p is at or past o in every domain of o: each
// domain of o is present in p with a sequence number >= o's. Server ids are
// not compared; within a domain MariaDB orders transactions by sequence
// number alone (gtid_strict_mode keeps it monotonic). This answers "has the
// server already got this position" when p is its @@gtid_binlog_pos.
func (p *MariaDBPos) Contains(o *MariaDBPos) bool {
	if o == nil {
		return true
	}
	for _, g := range o.gtids {
		h, ok := p.Get(g.Domain)
		if !ok || h.Seq < g.Seq {
			return false
		}
	}
	return true
}

// MarshalText returns the text of String.
func (p *MariaDBPos) MarshalText() ([]byte, error) { return p.AppendText(nil), nil }

// UnmarshalText replaces p with the parsed text.
func (p *MariaDBPos) UnmarshalText(b []byte) error {
	n, err := ParseMariaDBPos(string(b))
	if err != nil {
		return err
	}
	*p = *n
	return nil
}
