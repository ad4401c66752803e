package gtid

import (
	"fmt"
	"strconv"
)

// SyntaxError describes text that is not a GTID set or position.
type SyntaxError struct {
	Text   string // the whole input
	Offset int    // byte offset of the offending text
	Msg    string // what was expected
}

func (e *SyntaxError) Error() string {
	near := e.Text[e.Offset:]
	if len(near) > 40 {
		near = near[:40] + "..."
	}
	if near == "" {
		return fmt.Sprintf("gtid: parse %s: at offset %d (end of text): %s", quoteShort(e.Text), e.Offset, e.Msg)
	}
	return fmt.Sprintf("gtid: parse %s: at offset %d (%q): %s", quoteShort(e.Text), e.Offset, near, e.Msg)
}

func quoteShort(s string) string {
	if len(s) > 200 {
		return strconv.Quote(s[:200]) + "..."
	}
	return strconv.Quote(s)
}

// isSpace is the set my_isspace accepts in MySQL's GTID parser.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

type setParser struct {
	text string
	pos  int
}

func (p *setParser) skipSpace() {
	for p.pos < len(p.text) && isSpace(p.text[p.pos]) {
		p.pos++
	}
}

func (p *setParser) fail(at int, format string, args ...any) error {
	return &SyntaxError{Text: p.text, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

// ParseSet parses the text form of a GTID set, as MySQL prints
// @@gtid_executed and accepts it in SET @@gtid_purged and
// WAIT_FOR_EXECUTED_GTID_SET:
//
//	set      = [spec] {"," [spec]}
//	spec     = uuid {":" (tag | interval)}
//	interval = gno ["-" gno]
//
// Whitespace (space, \t, \n, \r, \v, \f) may surround every separator, and
// empty specs between commas are ignored, as in Gtid_set::add_gtid_text. A
// tag applies to the intervals after it up to the next tag; intervals before
// any tag are untagged. The UUID is the 36-character hyphenated form, hex in
// either case; tags ([a-zA-Z_][a-zA-Z0-9_]{0,31}) are folded to lower case.
// GNOs are decimal, 1..MaxGNO. Overlapping and adjacent intervals merge.
//
// Deliberately stricter than MySQL: an interval N-M with M < N is an error
// (MySQL silently ignores it), GNOs must be plain decimal digits (MySQL's
// strtoll also takes signs, 0x hex and 0 octal), and an empty tag is an
// error. Errors are *SyntaxError, naming the offset and the text there.
func ParseSet(s string) (*Set, error) {
	set := &Set{}
	if err := set.parse(s); err != nil {
		return nil, err
	}
	return set, nil
}

// MustParseSet is ParseSet that panics on error, for tests and examples with
// constant input.
func MustParseSet(s string) *Set {
	set, err := ParseSet(s)
	if err != nil {
		panic(err)
	}
	return set
}

// parse adds the GTIDs of text to s.
func (s *Set) parse(text string) error {
	p := setParser{text: text}
	for {
		p.skipSpace()
		if p.pos == len(p.text) {
			return nil
		}
		if p.text[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.spec(s); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos == len(p.text) {
			return nil
		}
		if p.text[p.pos] != ',' {
			return p.fail(p.pos, "expected ':', ',' or end of text")
		}
		p.pos++
	}
}

// spec parses "uuid{:tag|:interval}" and adds its intervals to s.
func (p *setParser) spec(s *Set) error {
	start := p.pos
	if len(p.text)-p.pos < 36 {
		return p.fail(start, "expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
	}
	sid, ok := parseUUID(p.text[p.pos : p.pos+36])
	if !ok {
		return p.fail(start, "expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
	}
	p.pos += 36
	tag := ""
	for {
		p.skipSpace()
		if p.pos == len(p.text) || p.text[p.pos] != ':' {
			return nil
		}
		p.pos++
		p.skipSpace()
		if p.pos == len(p.text) {
			return p.fail(p.pos, "expected a tag or a transaction number after ':'")
		}
		c := p.text[p.pos]
		if c >= '0' && c <= '9' {
			lo, hi, err := p.interval()
			if err != nil {
				return err
			}
			s.addInterval(sid, tag, Interval{lo, hi})
			continue
		}
		t, err := p.tag()
		if err != nil {
			return err
		}
		tag = t
	}
}

func (p *setParser) tag() (string, error) {
	start := p.pos
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9' && p.pos > start) {
			p.pos++
			continue
		}
		break
	}
	if p.pos == start {
		return "", p.fail(start, "expected a tag ([a-zA-Z_][a-zA-Z0-9_]*) or a transaction number")
	}
	if p.pos-start > maxTagLength {
		return "", p.fail(start, "tag is %d characters long, the maximum is %d", p.pos-start, maxTagLength)
	}
	t, err := normalizeTag(p.text[start:p.pos])
	if err != nil { // unreachable: the loop accepted only valid characters
		return "", p.fail(start, "%v", err)
	}
	return t, nil
}

func (p *setParser) interval() (int64, int64, error) {
	start := p.pos
	lo, err := p.gno()
	if err != nil {
		return 0, 0, err
	}
	p.skipSpace()
	if p.pos == len(p.text) || p.text[p.pos] != '-' {
		return lo, lo, nil
	}
	p.pos++
	p.skipSpace()
	hi, err := p.gno()
	if err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, p.fail(start, "interval %d-%d ends before it starts", lo, hi)
	}
	return lo, hi, nil
}

func (p *setParser) gno() (int64, error) {
	start := p.pos
	var v int64
	for p.pos < len(p.text) && p.text[p.pos] >= '0' && p.text[p.pos] <= '9' {
		d := int64(p.text[p.pos] - '0')
		if v > (MaxGNO-d)/10 {
			// Consume the rest of the digits only for the message.
			end := p.pos
			for end < len(p.text) && p.text[end] >= '0' && p.text[end] <= '9' {
				end++
			}
			return 0, p.fail(start, "transaction number %s exceeds %d", p.text[start:end], int64(MaxGNO))
		}
		v = v*10 + d
		p.pos++
	}
	if p.pos == start {
		return 0, p.fail(start, "expected a transaction number")
	}
	if v == 0 {
		return 0, p.fail(start, "transaction number 0: GNOs start at 1")
	}
	return v, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseUUID parses exactly the 36-character 8-4-4-4-12 form.
func parseUUID(s string) (UUID, bool) {
	var u UUID
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		h, ok1 := unhex(s[i])
		l, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = h<<4 | l
		j++
		i += 2
	}
	return u, true
}

// ParseUUID parses a server UUID in the 36-character hyphenated form.
func ParseUUID(s string) (UUID, error) {
	u, ok := parseUUID(s)
	if !ok {
		return u, fmt.Errorf("gtid: %q is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	return u, nil
}

// addInterval adds a valid interval (1 <= Start <= End <= MaxGNO) for a
// normalized tag.
func (s *Set) addInterval(sid UUID, tag string, iv Interval) {
	i, ok := s.find(sid, tag)
	if !ok {
		s.entries = append(s.entries, entry{})
		copy(s.entries[i+1:], s.entries[i:])
		s.entries[i] = entry{sid: sid, tag: tag, ivs: []Interval{iv}}
		return
	}
	e := &s.entries[i]
	if last := e.ivs[len(e.ivs)-1]; iv.Start > last.End+1 {
		e.ivs = append(e.ivs, iv) // text in canonical order: the common case
		return
	}
	e.ivs = unionIntervals(e.ivs, []Interval{iv})
}

// String returns the canonical text: UUIDs ascending, for each UUID the
// untagged intervals first and then each tag in ascending order, intervals
// ascending and merged, sources separated by "," (MySQL separates them with
// ",\n"; both parse the same). The empty set is "".
func (s *Set) String() string {
	if s.IsEmpty() {
		return ""
	}
	return string(s.AppendText(make([]byte, 0, s.textLenEstimate())))
}

func (s *Set) textLenEstimate() int {
	n := 0
	for i := range s.entries {
		n += 37 + len(s.entries[i].tag) + 1 + 12*len(s.entries[i].ivs)
	}
	return n
}

// AppendText appends the canonical text (see String) to b.
func (s *Set) AppendText(b []byte) []byte {
	if s == nil {
		return b
	}
	for i := range s.entries {
		e := &s.entries[i]
		if i == 0 || e.sid != s.entries[i-1].sid {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendUUID(b, e.sid)
		}
		if e.tag != "" {
			b = append(b, ':')
			b = append(b, e.tag...)
		}
		for _, iv := range e.ivs {
			b = append(b, ':')
			b = strconv.AppendInt(b, iv.Start, 10)
			if iv.End != iv.Start {
				b = append(b, '-')
				b = strconv.AppendInt(b, iv.End, 10)
			}
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendUUID(b []byte, u UUID) []byte {
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// MarshalText returns the canonical text, so a Set is a JSON string.
func (s *Set) MarshalText() ([]byte, error) {
	return s.AppendText(nil), nil
}

// UnmarshalText replaces the contents of s with the parsed text.
func (s *Set) UnmarshalText(b []byte) error {
	var n Set
	if err := n.parse(string(b)); err != nil {
		return err
	}
	*s = n
	return nil
}
