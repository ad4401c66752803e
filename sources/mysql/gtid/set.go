package gtid

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxGNO is the largest transaction number MySQL hands out: GNO_END
// (2^63-1) is the exclusive bound in rpl_gtid.h.
const MaxGNO = math.MaxInt64 - 1

// maxTagLength is tag_max_length in mysql/gtid/tag.h.
const maxTagLength = 32

// Interval is an inclusive range of transaction numbers, Start <= End.
type Interval struct {
	Start, End int64
}

// entry holds the transactions of one (UUID, tag) pair, the unit MySQL calls
// a TSID. Invariant: intervals are sorted, non-empty, and neither overlap
// nor touch (End+1 < next Start), so equal sets have equal representations.
type entry struct {
	sid UUID
	tag string
	ivs []Interval
}

// Set is a MySQL GTID set: for every (server UUID, tag) pair, a set of
// transaction numbers. The zero value is an empty set ready to use. A Set is
// not safe for concurrent mutation.
type Set struct {
	// entries is sorted by (sid bytes, tag), the order of MySQL's
	// Tsid::operator<, which is also the canonical text and binary order.
	// No entry is empty.
	entries []entry
}

func compareKey(sidA UUID, tagA string, sidB UUID, tagB string) int {
	if c := bytes.Compare(sidA[:], sidB[:]); c != 0 {
		return c
	}
	return strings.Compare(tagA, tagB)
}

// find returns the index of the (sid, tag) entry, or where it would be
// inserted, and whether it exists.
func (s *Set) find(sid UUID, tag string) (int, bool) {
	lo, hi := 0, len(s.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := &s.entries[m]
		c := compareKey(e.sid, e.tag, sid, tag)
		if c == 0 {
			return m, true
		}
		if c < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, false
}

// ValidateGTID reports whether tag and gno may be passed to Add: gno within
// 1..MaxGNO and tag empty or a valid MySQL tag ([a-zA-Z_][a-zA-Z0-9_]{0,31}).
func ValidateGTID(tag string, gno int64) error {
	if gno < 1 || gno > MaxGNO {
		return fmt.Errorf("gtid: GNO %d is outside 1..%d", gno, int64(MaxGNO))
	}
	if tag != "" {
		if _, err := normalizeTag(tag); err != nil {
			return err
		}
	}
	return nil
}

// normalizeTag checks a tag and returns it in lower case, the form MySQL
// stores and prints (Tag::replace lowers every character). It allocates only
// when the tag has upper-case letters.
func normalizeTag(tag string) (string, error) {
	if len(tag) == 0 || len(tag) > maxTagLength {
		return "", fmt.Errorf("gtid: tag %q: length %d is outside 1..%d", tag, len(tag), maxTagLength)
	}
	upper := false
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9' && i > 0:
		default:
			return "", fmt.Errorf("gtid: tag %q: invalid character %q at %d (want [a-zA-Z_][a-zA-Z0-9_]*)", tag, c, i)
		}
	}
	if upper {
		return strings.ToLower(tag), nil
	}
	return tag, nil
}

// Add adds one GTID. Adding the successor of the pair's highest GNO (the
// normal case while following a binlog stream) is O(log entries) to find the
// pair and O(1) to extend its last interval, with no allocation.
//
// Add panics if gno is outside 1..MaxGNO or tag is not a valid tag: the
// binlog decoder already rejects such events, so reaching Add with one is a
// bug, and silently recording a position the server would refuse is worse
// than stopping. Use ValidateGTID first for values of unknown origin. An
// upper-case tag is stored in lower case, as MySQL does.
func (s *Set) Add(sid UUID, tag string, gno int64) {
	if gno < 1 || gno > MaxGNO {
		panic(fmt.Sprintf("gtid: Set.Add(%s, %q, %d): GNO outside 1..%d", sid, tag, gno, int64(MaxGNO)))
	}
	if tag != "" {
		t, err := normalizeTag(tag)
		if err != nil {
			panic(fmt.Sprintf("gtid: Set.Add: %v", err))
		}
		tag = t
	}
	i, ok := s.find(sid, tag)
	if !ok {
		s.entries = slices.Insert(s.entries, i, entry{sid: sid, tag: tag, ivs: []Interval{{gno, gno}}})
		return
	}
	e := &s.entries[i]
	// Fast path: the stream hands out consecutive GNOs.
	last := &e.ivs[len(e.ivs)-1]
	if gno == last.End+1 {
		last.End = gno
		return
	}
	if gno > last.End {
		e.ivs = append(e.ivs, Interval{gno, gno})
		return
	}
	e.ivs = addOne(e.ivs, gno)
}

// addOne inserts gno into a canonical interval list known not to end before
// gno-1.
func addOne(ivs []Interval, gno int64) []Interval {
	// First interval that ends at or after gno-1, i.e. could absorb gno.
	i, _ := slices.BinarySearchFunc(ivs, gno-1, func(iv Interval, t int64) int {
		if iv.End < t {
			return -1
		}
		return 1
	})
	iv := &ivs[i]
	switch {
	case gno >= iv.Start && gno <= iv.End:
		return ivs
	case gno == iv.End+1:
		iv.End = gno
		if i+1 < len(ivs) && ivs[i+1].Start == gno+1 {
			iv.End = ivs[i+1].End
			ivs = slices.Delete(ivs, i+1, i+2)
		}
		return ivs
	case gno == iv.Start-1:
		// The previous interval ends before gno-1 (else it would have
		// been found), so no merge backwards.
		iv.Start = gno
		return ivs
	default:
		return slices.Insert(ivs, i, Interval{gno, gno})
	}
}

// ContainsGTID reports whether the set holds the GTID. The tag is matched
// case-insensitively.
func (s *Set) ContainsGTID(sid UUID, tag string, gno int64) bool {
	if s == nil {
		return false
	}
	if tag != "" {
		t, err := normalizeTag(tag)
		if err != nil {
			return false
		}
		tag = t
	}
	i, ok := s.find(sid, tag)
	if !ok {
		return false
	}
	ivs := s.entries[i].ivs
	j, _ := slices.BinarySearchFunc(ivs, gno, func(iv Interval, t int64) int {
		if iv.End < t {
			return -1
		}
		return 1
	})
	return j < len(ivs) && ivs[j].Start <= gno
}

// Intervals returns a copy of the intervals held for (sid, tag), in
// ascending order, or nil.
func (s *Set) Intervals(sid UUID, tag string) []Interval {
	if s == nil {
		return nil
	}
	if tag != "" {
		t, err := normalizeTag(tag)
		if err != nil {
			return nil
		}
		tag = t
	}
	i, ok := s.find(sid, tag)
	if !ok {
		return nil
	}
	return slices.Clone(s.entries[i].ivs)
}

// IsEmpty reports whether the set holds no GTID.
func (s *Set) IsEmpty() bool { return s == nil || len(s.entries) == 0 }

// Clone returns an independent copy.
func (s *Set) Clone() *Set {
	c := &Set{}
	if s == nil || len(s.entries) == 0 {
		return c
	}
	c.entries = make([]entry, len(s.entries))
	for i, e := range s.entries {
		c.entries[i] = entry{sid: e.sid, tag: e.tag, ivs: slices.Clone(e.ivs)}
	}
	return c
}

// Equal reports whether both sets hold the same GTIDs. A nil set equals an
// empty one.
func (s *Set) Equal(o *Set) bool {
	var a, b []entry
	if s != nil {
		a = s.entries
	}
	if o != nil {
		b = o.entries
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].sid != b[i].sid || a[i].tag != b[i].tag || !slices.Equal(a[i].ivs, b[i].ivs) {
			return false
		}
	}
	return true
}

// Contains reports whether every GTID of o is in s (o ⊆ s).
func (s *Set) Contains(o *Set) bool {
	if o == nil || len(o.entries) == 0 {
		return true
	}
	if s == nil {
		return false
	}
	for i := range o.entries {
		oe := &o.entries[i]
		j, ok := s.find(oe.sid, oe.tag)
		if !ok || !intervalsContain(s.entries[j].ivs, oe.ivs) {
			return false
		}
	}
	return true
}

// intervalsContain reports whether b ⊆ a. Because a's intervals are maximal
// (they never touch), each interval of b must lie inside a single one of a.
func intervalsContain(a, b []Interval) bool {
	i := 0
	for _, iv := range b {
		for i < len(a) && a[i].End < iv.Start {
			i++
		}
		if i == len(a) || a[i].Start > iv.Start || a[i].End < iv.End {
			return false
		}
	}
	return true
}

// Union returns a new set holding the GTIDs of both.
func (s *Set) Union(o *Set) *Set {
	var a, b []entry
	if s != nil {
		a = s.entries
	}
	if o != nil {
		b = o.entries
	}
	r := &Set{entries: make([]entry, 0, max(len(a), len(b)))}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = compareKey(a[i].sid, a[i].tag, b[j].sid, b[j].tag)
		}
		switch {
		case c < 0:
			r.entries = append(r.entries, entry{a[i].sid, a[i].tag, slices.Clone(a[i].ivs)})
			i++
		case c > 0:
			r.entries = append(r.entries, entry{b[j].sid, b[j].tag, slices.Clone(b[j].ivs)})
			j++
		default:
			r.entries = append(r.entries, entry{a[i].sid, a[i].tag, unionIntervals(a[i].ivs, b[j].ivs)})
			i++
			j++
		}
	}
	return r
}

// unionIntervals merges two canonical lists into a new canonical list.
func unionIntervals(a, b []Interval) []Interval {
	out := make([]Interval, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next Interval
		if j == len(b) || (i < len(a) && a[i].Start <= b[j].Start) {
			next = a[i]
			i++
		} else {
			next = b[j]
			j++
		}
		out = appendMerged(out, next)
	}
	return out
}

// appendMerged appends iv to a canonical list whose last Start is <= iv.Start,
// merging it into the last interval when they overlap or touch.
func appendMerged(out []Interval, iv Interval) []Interval {
	if n := len(out); n > 0 && iv.Start <= out[n-1].End+1 {
		if iv.End > out[n-1].End {
			out[n-1].End = iv.End
		}
		return out
	}
	return append(out, iv)
}

// Subtract returns a new set holding the GTIDs of s that are not in o.
func (s *Set) Subtract(o *Set) *Set {
	r := &Set{}
	if s == nil {
		return r
	}
	r.entries = make([]entry, 0, len(s.entries))
	for i := range s.entries {
		e := &s.entries[i]
		var ivs []Interval
		if j, ok := o.findNil(e.sid, e.tag); ok {
			ivs = subtractIntervals(e.ivs, o.entries[j].ivs)
		} else {
			ivs = slices.Clone(e.ivs)
		}
		if len(ivs) > 0 {
			r.entries = append(r.entries, entry{e.sid, e.tag, ivs})
		}
	}
	return r
}

func (s *Set) findNil(sid UUID, tag string) (int, bool) {
	if s == nil {
		return 0, false
	}
	return s.find(sid, tag)
}

// subtractIntervals returns a \ b as a new canonical list.
func subtractIntervals(a, b []Interval) []Interval {
	var out []Interval
	j := 0
	for _, iv := range a {
		start := iv.Start
		// Skip b's intervals entirely before this one.
		for j < len(b) && b[j].End < start {
			j++
		}
		k := j
		for k < len(b) && b[k].Start <= iv.End {
			if b[k].Start > start {
				out = append(out, Interval{start, b[k].Start - 1})
			}
			if b[k].End >= iv.End {
				start = iv.End + 1 // nothing left of iv
				break
			}
			start = b[k].End + 1
			k++
		}
		if start <= iv.End {
			out = append(out, Interval{start, iv.End})
		}
		// b[k] may extend into the next interval of a; keep j there.
		j = k
	}
	return out
}
