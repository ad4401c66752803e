package jsonb

import (
	"strconv"
	"unicode/utf8"
)

// DiffOp is the operation of one JSON diff: enum_json_diff_operation in
// MySQL's sql/json_diff.h.
type DiffOp uint8

// The operations, with the values MySQL writes.
const (
	DiffReplace DiffOp = 0 // JSON_REPLACE(doc, path, value): the path must exist
	DiffInsert  DiffOp = 1 // JSON_ARRAY_INSERT for an array cell, JSON_INSERT for a member
	DiffRemove  DiffOp = 2 // JSON_REMOVE(doc, path)
)

func (op DiffOp) String() string {
	switch op {
	case DiffReplace:
		return "REPLACE"
	case DiffInsert:
		return "INSERT"
	case DiffRemove:
		return "REMOVE"
	}
	return "DiffOp(" + strconv.Itoa(int(op)) + ")"
}

// Diff is one logical change to a JSON document.
type Diff struct {
	Op    DiffOp
	Path  string // MySQL JSON path text, e.g. `$.a[2]."b c"`
	Value []byte // binary JSON document (aliases the parsed buffer); nil for DiffRemove
}

// ParseDiffs parses a Json_diff_vector as written in a PARTIAL_UPDATE_ROWS
// after-image, without its 4-byte length prefix: b is exactly the bytes the
// prefix counts. Diff.Value slices alias b.
//
// Like MySQL's Json_diff_vector::read_binary it rejects unknown operations,
// lengths running past the end, paths that do not parse, and values whose
// top-level header is not valid binary JSON; values are fully decoded only
// by AppendJSON or ApplyDiffs. It also rejects paths MySQL never writes in
// diffs (wildcards, ranges, "**") and the empty path "$".
//
// # Json_diff_vector (MySQL sql/json_diff.cc)
//
// In the after-image of a PARTIAL_UPDATE_ROWS event, a JSON column whose
// partial-update bit is set holds a Json_diff_vector instead of a binary
// JSON document. Json_diff_vector::write_binary writes a 4-byte
// little-endian length (the column's usual 4-byte JSON length prefix)
// followed by that many bytes of diffs, one after another:
//
//	+---------+--------------------+--------+--------------------+-------+
//	| op      | path length        | path   | value length       | value |
//	| 1 byte  | packed integer     |        | packed integer     |       |
//	+---------+--------------------+--------+--------------------+-------+
//	                                         (value fields absent for REMOVE)
//
// op is enum_json_diff_operation: 0 REPLACE, 1 INSERT, 2 REMOVE. The path is
// the text Json_path::to_string produces ('$' then ".member",
// ".\"quoted member\"", "[N]", "[last]" or "[last-N]" legs) and the value is
// a binary JSON document. Packed integers are the protocol's length-encoded
// integers: one byte below 251, or 252 + 2 bytes, 253 + 3 bytes, 254 + 8
// bytes, little-endian.
//
// Where the vector sits (sql/rpl_record.cc pack_row): a PARTIAL_UPDATE_ROWS
// after-image starts with value_options (packed integer; bit 0 =
// PARTIAL_JSON_UPDATES). When that bit is set, a bitmap of
// (number of JSON columns in the table + 7) / 8 bytes follows, one bit per
// JSON column of the table in column order, whether or not the column is
// in the image; then come the usual null bitmap and the column values. A
// JSON column whose bit is set holds the 4-byte length and the vector; one
// whose bit is clear holds an ordinary binary JSON document.
func ParseDiffs(b []byte) ([]Diff, error) {
	// Each diff takes at least 3 bytes (op, path length, "$"), which
	// bounds the slice capacity by the input length.
	diffs := make([]Diff, 0, min(len(b)/3, 16))
	p := 0
	for p < len(b) {
		op := DiffOp(b[p])
		if op > DiffRemove {
			return nil, corrupt(p, "json diff: unknown operation "+strconv.Itoa(int(op)))
		}
		p++
		n, w, err := readPacked(b[p:], p)
		if err != nil {
			return nil, err
		}
		p += w
		if n > uint64(len(b)-p) {
			return nil, corrupt(p-w, "json diff: path length "+strconv.FormatUint(n, 10)+" exceeds the "+strconv.Itoa(len(b)-p)+" bytes left")
		}
		path := b[p : p+int(n)]
		if _, err := parsePath(path, nil); err != nil {
			e := err.(*Error)
			return nil, corrupt(p+e.Offset, e.What)
		}
		d := Diff{Op: op, Path: string(path)}
		p += int(n)
		if op != DiffRemove {
			n, w, err := readPacked(b[p:], p)
			if err != nil {
				return nil, err
			}
			p += w
			if n > uint64(len(b)-p) {
				return nil, corrupt(p-w, "json diff: value length "+strconv.FormatUint(n, 10)+" exceeds the "+strconv.Itoa(len(b)-p)+" bytes left")
			}
			d.Value = b[p : p+int(n) : p+int(n)]
			if err := checkTopLevel(d.Value, p); err != nil {
				return nil, err
			}
			p += int(n)
		}
		diffs = append(diffs, d)
	}
	return diffs, nil
}

// readPacked reads a length-encoded integer (net_field_length) at b[0];
// off is b's offset for errors.
func readPacked(b []byte, off int) (uint64, int, error) {
	if len(b) < 1 {
		return 0, 0, corrupt(off, "json diff: truncated length")
	}
	var need int
	switch c := b[0]; {
	case c < 251:
		return uint64(c), 1, nil
	case c == 251:
		return 0, 0, corrupt(off, "json diff: NULL length")
	case c == 252:
		need = 3
	case c == 253:
		need = 4
	default:
		need = 9
	}
	if len(b) < need {
		return 0, 0, corrupt(off, "json diff: truncated length")
	}
	var v uint64
	for i := need - 1; i >= 1; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, need, nil
}

// checkTopLevel does what json_binary::parse_binary checks before a diff is
// accepted: the type is known and the top-level header or scalar fits.
func checkTopLevel(v []byte, off int) error {
	if len(v) == 0 {
		return nil // read as JSON null
	}
	body := v[1:]
	switch t := v[0]; t {
	case jsonSmallObject, jsonLargeObject, jsonSmallArray, jsonLargeArray:
		large := t == jsonLargeObject || t == jsonLargeArray
		w := 2
		if large {
			w = 4
		}
		if len(body) < 2*w {
			return corrupt(off+1, "json diff: truncated container header in value")
		}
		count := readOffset(body, large)
		size := readOffset(body[w:], large)
		if size > uint64(len(body)) {
			return corrupt(off+1+w, "json diff: container size exceeds value length")
		}
		hdr := uint64(2*w) + count*uint64(1+w)
		if t == jsonSmallObject || t == jsonLargeObject {
			hdr += count * uint64(2+w)
		}
		if hdr > size {
			return corrupt(off+1, "json diff: container elements do not fit in its size")
		}
		return nil
	case jsonString:
		n, h, err := readVarLen(body, off+1)
		if err != nil {
			return err
		}
		if n > len(body)-h {
			return corrupt(off+1, "json diff: string length exceeds value length")
		}
		return nil
	case jsonOpaque:
		if len(body) < 1 {
			return corrupt(off+1, "json diff: truncated opaque value")
		}
		n, h, err := readVarLen(body[1:], off+2)
		if err != nil {
			return err
		}
		if n > len(body)-1-h {
			return corrupt(off+2, "json diff: opaque length exceeds value length")
		}
		return nil
	}
	_, err := appendScalar(nil, v[0], body, off+1)
	return err
}

// pathLeg is one leg of a JSON path: a member name, or an array cell
// counted from the start (fromEnd false) or from the end ("last-N").
type pathLeg struct {
	member  string
	isCell  bool
	index   uint32
	fromEnd bool
}

// position resolves a cell leg against an array of n elements the way
// Json_array_index does: it returns the position (clamped to n for
// indexes past the end, 0 for "last-N" before the start) and whether the
// leg names an existing element.
func (l pathLeg) position(n int) (int, bool) {
	if l.fromEnd {
		if uint64(l.index) < uint64(n) {
			return n - 1 - int(l.index), true
		}
		return 0, false
	}
	if uint64(l.index) < uint64(n) {
		return int(l.index), true
	}
	return n, false
}

// parsePath parses a MySQL JSON path (sql-common/json_path.cc) made only of
// member and array-cell legs, appending the legs to legs. Blanks (space,
// \t \n \v \f \r) are allowed where MySQL allows them. Unquoted member names
// end at a blank, '.', '[' or '*' and may hold JSON escapes; they must be
// ECMAScript identifiers, which is checked for ASCII characters only (see
// badIdentifier).
func parsePath(p []byte, legs []pathLeg) ([]pathLeg, error) {
	i := skipBlanks(p, 0)
	if i >= len(p) || p[i] != '$' {
		return legs, corrupt(i, "json path: does not start with '$'")
	}
	i = skipBlanks(p, i+1)
	for i < len(p) {
		switch p[i] {
		case '.':
			i = skipBlanks(p, i+1)
			if i >= len(p) {
				return legs, corrupt(i, "json path: missing member name")
			}
			if p[i] == '*' {
				return legs, corrupt(i, "json path: wildcard not allowed in a diff")
			}
			var name []byte
			var err error
			if p[i] == '"' {
				end := i + 1
				for end < len(p) && p[end] != '"' {
					if p[end] == '\\' {
						end++
					}
					end++
				}
				if end >= len(p) {
					return legs, corrupt(i, "json path: unterminated quoted member name")
				}
				name, err = unquote(p[i+1:end], nil)
				if err != nil {
					e := err.(*Error)
					return legs, corrupt(i+1+e.Offset, "json path: "+e.What)
				}
				i = end + 1
			} else {
				end := i
				for end < len(p) && !isBlank(p[end]) && p[end] != '.' && p[end] != '[' && p[end] != '*' {
					end++
				}
				name, err = unquote(p[i:end], nil)
				if err != nil {
					e := err.(*Error)
					return legs, corrupt(i+e.Offset, "json path: "+e.What)
				}
				if j := badIdentifier(name); j >= 0 {
					return legs, corrupt(i, "json path: unquoted member name "+strconv.Quote(string(name))+" is not an identifier")
				}
				i = end
			}
			legs = append(legs, pathLeg{member: string(name)})
		case '[':
			i = skipBlanks(p, i+1)
			var leg pathLeg
			leg.isCell = true
			if i+4 <= len(p) && string(p[i:i+4]) == "last" {
				leg.fromEnd = true
				i = skipBlanks(p, i+4)
				if i < len(p) && p[i] == '-' {
					i = skipBlanks(p, i+1)
				} else {
					goto closeBracket
				}
			}
			{
				j := i
				var v uint64
				for j < len(p) && p[j] >= '0' && p[j] <= '9' {
					v = v*10 + uint64(p[j]-'0')
					if v > 1<<32-1 {
						return legs, corrupt(i, "json path: array index exceeds 4294967295")
					}
					j++
				}
				if j == i {
					return legs, corrupt(i, "json path: expected an array index")
				}
				leg.index = uint32(v)
				i = skipBlanks(p, j)
			}
		closeBracket:
			if i >= len(p) || p[i] != ']' {
				return legs, corrupt(i, "json path: expected ']' (ranges and wildcards are not allowed in a diff)")
			}
			i++
			legs = append(legs, leg)
		default:
			return legs, corrupt(i, "json path: unexpected character "+strconv.QuoteRune(rune(p[i])))
		}
		i = skipBlanks(p, i)
	}
	if len(legs) == 0 {
		return legs, corrupt(0, "json path: a diff cannot change the whole document ('$')")
	}
	return legs, nil
}

// badIdentifier returns the index of the first byte that keeps name from
// being an ECMAScript identifier, or -1. Only ASCII is checked: letters,
// '$' and '_' anywhere, digits after the first character. Every non-ASCII
// byte is accepted, because MySQL's own test (my_isalpha on the low byte
// of the code point, plus combining marks and connector punctuation) is
// not worth reproducing for names MySQL never writes unquoted anyway.
func badIdentifier(name []byte) int {
	if len(name) == 0 {
		return 0
	}
	for i, c := range name {
		switch {
		case c >= 0x80, c == '$', c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return -1
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func skipBlanks(p []byte, i int) int {
	for i < len(p) && isBlank(p[i]) {
		i++
	}
	return i
}

// unquote appends to dst the bytes of the JSON string body s (without its
// quotes) with escapes resolved.
func unquote(s, dst []byte) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			if c < 0x20 {
				return dst, corrupt(i, "control character in string")
			}
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, corrupt(i-1, "unterminated escape")
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return dst, corrupt(i-1, "bad \\u escape")
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 {
				if r2, ok := hex4(s, i+3); ok && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				} else {
					return dst, corrupt(i-5, "unpaired surrogate in \\u escape")
				}
			} else if r >= 0xDC00 && r < 0xE000 {
				return dst, corrupt(i-5, "unpaired surrogate in \\u escape")
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, corrupt(i-1, "unknown escape \\"+string(rune(s[i])))
		}
	}
	return dst, nil
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
