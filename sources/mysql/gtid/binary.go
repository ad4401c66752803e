package gtid

import (
	"encoding/binary"
	"fmt"
)

// Binary form of a GTID set, as written by MySQL's Gtid_set::encode and read
// by Gtid_set::add_gtid_encoding (sql/rpl_gtid_set.cc, helpers
// encode_nsids_format/decode_nsids_format there; Tsid::encode_tsid in
// libs/mysql/gtid/tsid.cpp; Tag::encode_tag in libs/mysql/gtid/tag.cpp).
// It is the data of COM_BINLOG_DUMP_GTID and the body of PREVIOUS_GTIDS
// events. All integers little-endian.
//
// Untagged format (every server; MySQL 8.3+ still uses it when no tag is
// present):
//
//	offset size  field
//	0      8     number of TSIDs n (the top byte, the format, is 0)
//	then n times:
//	       16    UUID
//	       8     number of intervals k
//	       16*k  k times: start (8), end exclusive (8)
//
// Tagged format (MySQL 8.3+, used as soon as one tag is present):
//
//	offset size  field
//	0      1     format: 1 (Gtid_format::tagged)
//	1      6     number of TSIDs n
//	7      1     format: 1 again; the reader looks at this byte (bits
//	             56-63 of the 8-byte word) to choose the format
//	then n times:
//	       16    UUID
//	       1     tag length L, as a mysql::serialization variable-length
//	             integer: one byte L<<1 for L <= 63, so 0x00 for an
//	             untagged TSID and at most 0x40 for a 32-character tag
//	       L     tag (lower case)
//	       8     number of intervals k
//	       16*k  k times: start (8), end exclusive (8)
//
// TSIDs come in ascending (UUID bytes, tag) order, the untagged TSID of a
// UUID first; intervals ascend and neither overlap nor touch (the reader
// rejects an interval starting at or before the previous end).
const (
	formatUntagged = 0
	formatTagged   = 1
)

// encodedLen returns the length of Encode's output and whether the tagged
// format is needed.
func (s *Set) encodedLen() (int, bool) {
	n, tagged := 8, false
	if s == nil {
		return n, false
	}
	tagBytes := 0
	for i := range s.entries {
		e := &s.entries[i]
		n += 16 + 8 + 16*len(e.ivs)
		tagBytes += 1 + len(e.tag)
		if e.tag != "" {
			tagged = true
		}
	}
	if tagged {
		n += tagBytes
	}
	return n, tagged
}

// Encode returns the binary form (see the layout above): the untagged
// format when the set has no tag, which every server reads, else the tagged
// format, which only MySQL 8.3+ reads.
func (s *Set) Encode() []byte {
	n, _ := s.encodedLen()
	return s.AppendBinary(make([]byte, 0, n))
}

// AppendBinary appends the binary form (see Encode) to b.
func (s *Set) AppendBinary(b []byte) []byte {
	_, tagged := s.encodedLen()
	var count uint64
	if s != nil {
		count = uint64(len(s.entries))
	}
	if tagged {
		b = binary.LittleEndian.AppendUint64(b, formatTagged<<56|count<<8|formatTagged)
	} else {
		b = binary.LittleEndian.AppendUint64(b, count)
	}
	if s == nil {
		return b
	}
	for i := range s.entries {
		e := &s.entries[i]
		b = append(b, e.sid[:]...)
		if tagged {
			b = append(b, byte(len(e.tag))<<1) // varlen, 1 byte since len <= 32
			b = append(b, e.tag...)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(e.ivs)))
		for _, iv := range e.ivs {
			b = binary.LittleEndian.AppendUint64(b, uint64(iv.Start))
			b = binary.LittleEndian.AppendUint64(b, uint64(iv.End)+1)
		}
	}
	return b
}

// DecodeSet parses the binary form written by Encode or by MySQL, in
// either format. Like MySQL it accepts TSIDs in any order and repeated, and
// merges them; every interval must start after the previous one's end.
// The whole input must be consumed. Counts are checked against the bytes
// left before anything is allocated, so a corrupt count cannot exhaust
// memory.
func DecodeSet(b []byte) (*Set, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("gtid: decode set: %d bytes, need at least 8 for the TSID count", len(b))
	}
	word := binary.LittleEndian.Uint64(b)
	var n uint64
	tagged := false
	switch format := word >> 56; format {
	case formatUntagged:
		n = word
	case formatTagged:
		if b[0] != formatTagged {
			return nil, fmt.Errorf("gtid: decode set: tagged format marker in byte 7 but byte 0 is %#x, want 0x01", b[0])
		}
		tagged = true
		n = word >> 8 & (1<<48 - 1)
	default:
		return nil, fmt.Errorf("gtid: decode set: unknown format %d in byte 7", format)
	}
	pos := 8
	minEntry := 24
	if tagged {
		minEntry = 25
	}
	if n > uint64((len(b)-pos)/minEntry) {
		return nil, fmt.Errorf("gtid: decode set: %d TSIDs cannot fit in the %d bytes left", n, len(b)-pos)
	}
	s := &Set{entries: make([]entry, 0, n)}
	for k := uint64(0); k < n; k++ {
		if len(b)-pos < minEntry {
			return nil, fmt.Errorf("gtid: decode set: TSID %d at offset %d: %d bytes left, need at least %d", k, pos, len(b)-pos, minEntry)
		}
		var sid UUID
		copy(sid[:], b[pos:pos+16])
		pos += 16
		tag := ""
		if tagged {
			l := b[pos]
			if l&1 != 0 {
				// A multi-byte length is > 63, over the 32-byte limit.
				return nil, fmt.Errorf("gtid: decode set: TSID %d: tag length at offset %d is not a 1-byte varlen (%#x): longer than %d", k, pos, l, maxTagLength)
			}
			tl := int(l >> 1)
			pos++
			if tl > maxTagLength {
				return nil, fmt.Errorf("gtid: decode set: TSID %d: tag length %d at offset %d exceeds %d", k, tl, pos-1, maxTagLength)
			}
			if len(b)-pos < tl+8 {
				return nil, fmt.Errorf("gtid: decode set: TSID %d: tag of %d bytes at offset %d overruns the data", k, tl, pos)
			}
			if tl > 0 {
				t, err := normalizeTag(string(b[pos : pos+tl]))
				if err != nil {
					return nil, fmt.Errorf("gtid: decode set: TSID %d at offset %d: %w", k, pos, err)
				}
				tag = t
			}
			pos += tl
		}
		if len(b)-pos < 8 {
			return nil, fmt.Errorf("gtid: decode set: TSID %d: interval count at offset %d overruns the data", k, pos)
		}
		nIvs := binary.LittleEndian.Uint64(b[pos:])
		pos += 8
		if nIvs == 0 {
			// MySQL never writes an empty TSID, but its reader takes one.
			continue
		}
		if nIvs > uint64((len(b)-pos)/16) {
			return nil, fmt.Errorf("gtid: decode set: TSID %d: %d intervals cannot fit in the %d bytes left at offset %d", k, nIvs, len(b)-pos, pos)
		}
		ivs := make([]Interval, nIvs)
		var last int64
		for j := range ivs {
			start := int64(binary.LittleEndian.Uint64(b[pos:]))
			end := int64(binary.LittleEndian.Uint64(b[pos+8:]))
			if start <= last || end <= start {
				return nil, fmt.Errorf("gtid: decode set: TSID %d (%s): interval [%d, %d) at offset %d is empty, negative or not after the previous end %d", k, sid, start, end, pos, last)
			}
			pos += 16
			last = end
			ivs[j] = Interval{start, end - 1}
		}
		s.mergeEntry(sid, tag, ivs)
	}
	if pos != len(b) {
		return nil, fmt.Errorf("gtid: decode set: %d unexpected bytes after the set at offset %d", len(b)-pos, pos)
	}
	return s, nil
}

// mergeEntry adds a canonical interval list for (sid, tag): appended when it
// sorts after every entry (what MySQL writes), else merged.
func (s *Set) mergeEntry(sid UUID, tag string, ivs []Interval) {
	if n := len(s.entries); n == 0 || compareKey(s.entries[n-1].sid, s.entries[n-1].tag, sid, tag) < 0 {
		s.entries = append(s.entries, entry{sid, tag, ivs})
		return
	}
	i, ok := s.find(sid, tag)
	if ok {
		s.entries[i].ivs = unionIntervals(s.entries[i].ivs, ivs)
		return
	}
	s.entries = append(s.entries, entry{})
	copy(s.entries[i+1:], s.entries[i:])
	s.entries[i] = entry{sid, tag, ivs}
}
