package jsonb

import (
	"strconv"
)

// Applying diffs works on an ordered tree parsed from JSON text. Scalars
// keep the exact text they were written with (numbers never pass through
// float64), object members keep their order, and the tree is printed back
// in the same compact form AppendJSON produces.

type nodeKind uint8

const (
	kindScalar nodeKind = iota
	kindObject
	kindArray
)

type node struct {
	kind    nodeKind
	raw     []byte   // scalar token text, aliasing the parsed input
	members []member // kindObject
	elems   []*node  // kindArray
}

type member struct {
	key []byte // unescaped name: what paths and key ordering compare
	raw []byte // the name's token as written, with its quotes
	val *node
}

// ApplyDiffs applies diffs, in order, to docJSON, the JSON text of a JSON
// column's before-image (as produced by AppendJSON), and returns the JSON
// text of the after-image, as AppendJSON would print the binary after-image
// MySQL stores.
//
// The semantics are those of MySQL's apply_json_diffs: paths are followed
// exactly, without auto-wrapping; REPLACE needs an existing value at the
// path; INSERT of an object member needs the member to be absent, and
// INSERT of an array cell inserts before that position, or appends when the
// index is past the end; REMOVE needs an existing value. Where MySQL would
// reject a diff (the replica's document being out of sync), ApplyDiffs
// returns an error naming the diff.
//
// A member added by INSERT is placed where MySQL's sorted object keeps it:
// keys ordered by length and then bytewise, which is the stored order of
// every object AppendJSON prints. Other members keep their order.
func ApplyDiffs(docJSON []byte, diffs []Diff) ([]byte, error) {
	root, err := parseText(docJSON)
	if err != nil {
		return nil, err
	}
	var legs []pathLeg
	for i, d := range diffs {
		legs, err = parsePath([]byte(d.Path), legs[:0])
		if err != nil {
			e := err.(*Error)
			return nil, corrupt(e.Offset, diffName(i, d)+": "+e.What)
		}
		var val *node
		if d.Op != DiffRemove {
			// A fresh buffer per diff: the new nodes alias it.
			txt, err := AppendJSON(nil, d.Value)
			if err != nil {
				e := err.(*Error)
				return nil, corrupt(e.Offset, diffName(i, d)+": value: "+e.What)
			}
			if val, err = parseText(txt); err != nil {
				return nil, err
			}
		}
		if err := applyOne(root, d.Op, legs, val); err != "" {
			return nil, corrupt(0, diffName(i, d)+": "+err)
		}
	}
	return printNode(make([]byte, 0, len(docJSON)+len(docJSON)/4+16), root, 0)
}

func diffName(i int, d Diff) string {
	return "json diff " + strconv.Itoa(i) + " (" + d.Op.String() + " " + strconv.Quote(d.Path) + ")"
}

// applyOne applies one diff and returns why it was rejected, or "".
func applyOne(root *node, op DiffOp, legs []pathLeg, val *node) string {
	parent := seek(root, legs[:len(legs)-1])
	if parent == nil {
		return "no value at the parent path"
	}
	last := legs[len(legs)-1]
	switch op {
	case DiffReplace:
		switch {
		case parent.kind == kindObject && !last.isCell:
			if j := findMember(parent, last.member); j >= 0 {
				parent.members[j].val = val
				return ""
			}
		case parent.kind == kindArray && last.isCell:
			if pos, ok := last.position(len(parent.elems)); ok {
				parent.elems[pos] = val
				return ""
			}
		}
		return "no value at the path"
	case DiffInsert:
		switch {
		case parent.kind == kindObject && !last.isCell:
			if findMember(parent, last.member) >= 0 {
				return "the member already exists"
			}
			key := []byte(last.member)
			at := len(parent.members)
			for j, m := range parent.members {
				if keyLess(key, m.key) {
					at = j
					break
				}
			}
			raw := appendString(nil, key)
			parent.members = append(parent.members, member{})
			copy(parent.members[at+1:], parent.members[at:])
			parent.members[at] = member{key: key, raw: raw, val: val}
			return ""
		case parent.kind == kindArray && last.isCell:
			pos, _ := last.position(len(parent.elems))
			parent.elems = append(parent.elems, nil)
			copy(parent.elems[pos+1:], parent.elems[pos:])
			parent.elems[pos] = val
			return ""
		}
		return "the parent is not an object (for a member) or an array (for a cell)"
	default: // DiffRemove
		switch {
		case parent.kind == kindObject && !last.isCell:
			if j := findMember(parent, last.member); j >= 0 {
				parent.members = append(parent.members[:j], parent.members[j+1:]...)
				return ""
			}
		case parent.kind == kindArray && last.isCell:
			if pos, ok := last.position(len(parent.elems)); ok {
				parent.elems = append(parent.elems[:pos], parent.elems[pos+1:]...)
				return ""
			}
		}
		return "no value at the path"
	}
}

// keyLess orders keys as MySQL's Json_key_comparator: shorter first, then
// bytewise.
func keyLess(a, b []byte) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return string(a) < string(b)
}

func findMember(n *node, name string) int {
	for j := range n.members {
		if string(n.members[j].key) == name {
			return j
		}
	}
	return -1
}

// seek follows legs exactly (MySQL's seek_exact_path) and returns the
// value they name, or nil.
func seek(n *node, legs []pathLeg) *node {
	for _, l := range legs {
		switch {
		case n.kind == kindArray && l.isCell:
			pos, ok := l.position(len(n.elems))
			if !ok {
				return nil
			}
			n = n.elems[pos]
		case n.kind == kindObject && !l.isCell:
			j := findMember(n, l.member)
			if j < 0 {
				return nil
			}
			n = n.members[j].val
		default:
			return nil
		}
	}
	return n
}

// printNode appends n in AppendJSON's compact form. MySQL refuses to store
// documents nested deeper than MaxDepth, so neither does this.
func printNode(dst []byte, n *node, depth int) ([]byte, error) {
	switch n.kind {
	case kindScalar:
		return append(dst, n.raw...), nil
	case kindObject:
		if depth+1 > MaxDepth {
			return nil, corrupt(0, "json diff: result nested deeper than "+strconv.Itoa(MaxDepth))
		}
		dst = append(dst, '{')
		for j, m := range n.members {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, m.raw...)
			dst = append(dst, ':')
			var err error
			if dst, err = printNode(dst, m.val, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	if depth+1 > MaxDepth {
		return nil, corrupt(0, "json diff: result nested deeper than "+strconv.Itoa(MaxDepth))
	}
	dst = append(dst, '[')
	for j, e := range n.elems {
		if j > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = printNode(dst, e, depth+1); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// textParser parses RFC 8259 JSON text into a tree. It accepts what
// AppendJSON produces and any other valid JSON; nesting is limited to
// MaxDepth, like MySQL's JSON parser.
type textParser struct {
	s    []byte
	i    int
	key  []byte // scratch for unescaping
	slab []node // nodes are carved from here to save an allocation each
}

func (p *textParser) newNode(k nodeKind, raw []byte) *node {
	if len(p.slab) == cap(p.slab) {
		// Grow with the document but never beyond what the rest of the
		// text could hold: every node takes at least one input byte.
		n := min(max(2*cap(p.slab), 8), 256, len(p.s)-p.i+1)
		p.slab = make([]node, 0, n)
	}
	p.slab = append(p.slab, node{kind: k, raw: raw})
	return &p.slab[len(p.slab)-1]
}

func parseText(s []byte) (*node, error) {
	p := textParser{s: s}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(s) {
		return nil, corrupt(p.i, "json text: unexpected data after the document")
	}
	return n, nil
}

func (p *textParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *textParser) value(depth int) (*node, error) {
	if p.i >= len(p.s) {
		return nil, corrupt(p.i, "json text: unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		if depth+1 > MaxDepth {
			return nil, corrupt(p.i, "json text: nesting deeper than "+strconv.Itoa(MaxDepth))
		}
		p.i++
		n := p.newNode(kindObject, nil)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, corrupt(p.i, "json text: expected a member name")
			}
			start := p.i
			end, err := p.str()
			if err != nil {
				return nil, err
			}
			key, err := unquote(p.s[start+1:end-1], nil)
			if err != nil {
				e := err.(*Error)
				return nil, corrupt(start+1+e.Offset, "json text: "+e.What)
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, corrupt(p.i, "json text: expected ':'")
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{key: key, raw: p.s[start:end:end], val: v})
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, corrupt(p.i, "json text: expected ',' or '}'")
		}
	case c == '[':
		if depth+1 > MaxDepth {
			return nil, corrupt(p.i, "json text: nesting deeper than "+strconv.Itoa(MaxDepth))
		}
		p.i++
		n := p.newNode(kindArray, nil)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, corrupt(p.i, "json text: expected ',' or ']'")
		}
	case c == '"':
		start := p.i
		end, err := p.str()
		if err != nil {
			return nil, err
		}
		// Validate the escapes; the raw token is what gets printed.
		if p.key, err = unquote(p.s[start+1:end-1], p.key[:0]); err != nil {
			e := err.(*Error)
			return nil, corrupt(start+1+e.Offset, "json text: "+e.What)
		}
		return p.newNode(kindScalar, p.s[start:end:end]), nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		if err := p.number(); err != nil {
			return nil, err
		}
		return p.newNode(kindScalar, p.s[start:p.i:p.i]), nil
	default:
		for _, lit := range [...]string{"null", "true", "false"} {
			if len(p.s)-p.i >= len(lit) && string(p.s[p.i:p.i+len(lit)]) == lit {
				start := p.i
				p.i += len(lit)
				return p.newNode(kindScalar, p.s[start:p.i:p.i]), nil
			}
		}
		return nil, corrupt(p.i, "json text: unexpected character "+strconv.QuoteRune(rune(c)))
	}
}

// str scans the string token starting at p.i and returns the index just
// past its closing quote.
func (p *textParser) str() (int, error) {
	start := p.i
	for j := p.i + 1; j < len(p.s); j++ {
		switch p.s[j] {
		case '\\':
			j++
		case '"':
			p.i = j + 1
			return p.i, nil
		}
	}
	return 0, corrupt(start, "json text: unterminated string")
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *textParser) number() error {
	s, i := p.s, p.i
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digitsAt := func(i int) int {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digitsAt(i)
	default:
		return corrupt(start, "json text: bad number")
	}
	if i < len(s) && s[i] == '.' {
		j := digitsAt(i + 1)
		if j == i+1 {
			return corrupt(start, "json text: bad number")
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digitsAt(i)
		if j == i {
			return corrupt(start, "json text: bad number")
		}
		i = j
	}
	p.i = i
	return nil
}
