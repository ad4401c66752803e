package schema

import (
	"strconv"
	"strings"
)

// The TiDB parser reads MySQL's grammar as TiDB implements it, which lacks a
// few things a MySQL or MariaDB binlog carries: spatial column types and
// their SRID, INVISIBLE columns, MariaDB's PERSISTENT generated columns,
// MariaDB's INET4/INET6/UUID types, MariaDB's executable comments /*M!...*/
// and CREATE OR REPLACE TABLE. Rather than fork the grammar, a light
// token-level pass rewrites those constructs into syntax the parser accepts
// and that carries the same information through the AST unambiguously:
//
//   - a type keyword becomes VARBINARY(magicTypeBase+code); no real column
//     can have that length (MySQL's limit is 65535), so the converter turns
//     it back into the type name;
//   - SRID n / REF_SYSTEM_ID=n and INVISIBLE become SECONDARY_ENGINE_ATTRIBUTE
//     'syncer:...' column options, a string no real statement uses;
//   - PERSISTENT becomes STORED; /*M! becomes /*! (MariaDB executes both);
//   - OR REPLACE is removed and the statement is marked.
//
// The pass also splits the query into statements at top-level semicolons so
// that each statement is parsed (and fails) on its own.

const (
	magicTypeBase  = 987650000
	attrPrefix     = "syncer:"
	attrInvisible  = attrPrefix + "invisible"
	attrSRIDPrefix = attrPrefix + "srid="
	// defaultExprFunc carries the text of DEFAULT (expression), which the
	// parser only accepts for literals and function calls.
	defaultExprFunc = "syncer_default_expr"
)

// extraTypes are the type names the parser does not know, indexed by their
// code (magicTypeBase+index is the placeholder length).
var extraTypes = [...]string{
	"geometry", "point", "linestring", "polygon", "multipoint",
	"multilinestring", "multipolygon", "geometrycollection",
	"inet4", "inet6", "uuid",
}

func extraTypeCode(word string) int {
	w := strings.ToLower(word)
	if w == "geomcollection" {
		w = "geometrycollection"
	}
	for i, n := range extraTypes {
		if n == w {
			return i
		}
	}
	return -1
}

func isSpatial(name string) bool {
	switch name {
	case "geometry", "point", "linestring", "polygon", "multipoint",
		"multilinestring", "multipolygon", "geometrycollection":
		return true
	}
	return false
}

type tokKind int

const (
	tokWord   tokKind = iota // identifier or keyword (unquoted)
	tokQuoted                // `identifier`
	tokString                // '...' or "..."
	tokNumber
	tokPunct
	tokComment // a plain comment, kept verbatim
)

type token struct {
	kind       tokKind
	start, end int // byte range in the source
}

// rewrittenStmt is one statement after the rewriting pass.
type rewrittenStmt struct {
	sql       string // rewritten, for the parser
	orig      string // as written, for changes and errors
	orReplace bool
}

// rewrite splits query into statements and rewrites each (see above).
// mode is what of sql_mode matters to tokenizing: whether a backslash
// escapes in strings and whether "..." is an identifier.
type lexMode struct {
	noBackslashEscapes bool
	ansiQuotes         bool
}

func rewrite(query string, mode lexMode) []rewrittenStmt {
	var out []rewrittenStmt
	var b strings.Builder
	var toks []token // significant tokens of the current statement
	orReplace := false
	execDepth := 0  // open /*! ... */ comments
	lastWordAt := 0 // where the last word token starts in b
	// indexCtx[d] is true when the current comma-separated element at
	// parenthesis depth d names an index (INVISIBLE then belongs to the
	// index, which the parser reads itself).
	indexCtx := []bool{false}
	stmtStart := 0 // where the current statement starts in query
	emit := func(end int) {
		s := strings.TrimSpace(b.String())
		if s != "" {
			out = append(out, rewrittenStmt{sql: s, orig: strings.TrimSpace(query[stmtStart:end]), orReplace: orReplace})
		}
		stmtStart = end + 1
		b.Reset()
		toks = toks[:0]
		orReplace = false
		execDepth = 0
		indexCtx = indexCtx[:1]
		indexCtx[0] = false
	}
	word := func(i int) string { // lower-case text of significant token i from the end (1 = last)
		if len(toks) < i {
			return ""
		}
		t := toks[len(toks)-i]
		if t.kind != tokWord {
			if t.kind == tokPunct {
				return query[t.start:t.end]
			}
			return ""
		}
		return strings.ToLower(query[t.start:t.end])
	}
	isIdent := func(i int) bool {
		if len(toks) < i {
			return false
		}
		t := toks[len(toks)-i]
		if t.kind == tokQuoted {
			return true
		}
		if t.kind != tokWord {
			return false
		}
		switch strings.ToLower(query[t.start:t.end]) {
		case "index", "key", "unique", "primary", "constraint", "foreign",
			"fulltext", "spatial", "check", "column", "exists", "add", "drop",
			"modify", "change", "alter", "table", "first", "after", "to", "as",
			"by", "on", "set", "default":
			return false
		}
		return true
	}
	// typeExpected reports whether a type keyword here is a column type:
	// the previous token is a column name that starts a column definition.
	typeExpected := func() bool {
		if !isIdent(1) {
			return false
		}
		switch word(2) {
		case "(", ",", "add", "column", "modify", "exists":
			return true
		}
		// CHANGE [COLUMN] old new TYPE
		if isIdent(2) && (word(3) == "change" || (word(3) == "column" && word(4) == "change")) {
			return true
		}
		return false
	}

	i := 0
	n := len(query)
	for i < n {
		c := query[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			b.WriteByte(c)
			i++
		case c == '#' || (c == '-' && i+2 <= n && strings.HasPrefix(query[i:], "--") && (i+2 == n || isSpaceByte(query[i+2]))):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = n - i
			}
			// Keep line comments out of the statement: the parser skips
			// them anyway and an unterminated one at the end is harmless.
			b.WriteByte(' ')
			i += j
		case c == '/' && i+1 < n && query[i+1] == '*':
			if i+2 < n && (query[i+2] == '!' || (query[i+2] == 'M' && i+3 < n && query[i+3] == '!')) {
				// Executable comment: its content is part of the statement.
				// Drop the opening (with its version number) and the
				// matching */ so the content is tokenized like the rest.
				j := i + 3
				if query[i+2] == 'M' {
					j++
				}
				for j < n && query[j] >= '0' && query[j] <= '9' {
					j++
				}
				b.WriteByte(' ')
				i = j
				execDepth++
				continue
			}
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				j = n - i - 2
			} else {
				j += 2
			}
			b.WriteByte(' ')
			i += 2 + j
		case c == '*' && i+1 < n && query[i+1] == '/' && execDepth > 0:
			execDepth--
			b.WriteByte(' ')
			i += 2
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < n {
				if query[j] == '\\' && c != '`' && !mode.noBackslashEscapes {
					j += 2
					continue
				}
				if query[j] == c {
					if j+1 < n && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= n {
				j = n - 1
			}
			kind := tokString
			if c == '`' || (c == '"' && mode.ansiQuotes) {
				kind = tokQuoted
			}
			toks = append(toks, token{kind, i, j + 1})
			b.WriteString(query[i : j+1])
			i = j + 1
		case c == ';' && !isRoutine(query, toks):
			emit(i)
			i++
		case isWordByte(c):
			j := i
			for j < n && isWordByte(query[j]) {
				j++
			}
			w := query[i:j]
			lw := strings.ToLower(w)
			kind := tokWord
			if c >= '0' && c <= '9' {
				kind = tokNumber
			}
			t := token{kind, i, j}
			wordAt := b.Len()
			switch {
			case kind == tokWord && lw == "replace" && word(1) == "or" && word(2) == "create":
				// CREATE OR REPLACE: cut "OR" (already written) and "REPLACE".
				s := b.String()[:lastWordAt]
				b.Reset()
				b.WriteString(s)
				toks = toks[:len(toks)-1]
				orReplace = true
				i = j
				continue
			case kind == tokWord && (lw == "national" || lw == "nchar" || lw == "nvarchar") && typeExpected():
				// NATIONAL CHAR [VARYING] / NCHAR / NVARCHAR: the parser
				// forgets the national charset (utf8mb3 on both servers), so
				// spell it out after the type and its length.
				k := j
				if lw == "national" {
					for {
						m := k
						for m < n && isSpaceByte(query[m]) {
							m++
						}
						e := m
						for e < n && isWordByte(query[e]) {
							e++
						}
						switch strings.ToLower(query[m:e]) {
						case "char", "character", "varchar", "varying":
							k = e
							continue
						}
						break
					}
				}
				m := k
				for m < n && isSpaceByte(query[m]) {
					m++
				}
				if m < n && query[m] == '(' {
					if e := strings.IndexByte(query[m:], ')'); e > 0 {
						k = m + e + 1
					}
				}
				typ := query[i:k]
				switch lw {
				case "national":
					typ = query[j:k]
				case "nchar":
					typ = "CHAR" + query[j:k]
				case "nvarchar":
					typ = "VARCHAR" + query[j:k]
				}
				b.WriteString(typ + " CHARACTER SET utf8mb3")
				toks = append(toks, token{tokWord, i, k})
				i = k
				continue
			case kind == tokWord && extraTypeCode(w) >= 0 && typeExpected():
				b.WriteString("VARBINARY(" + strconv.Itoa(magicTypeBase+extraTypeCode(w)) + ")")
			case kind == tokWord && (lw == "srid" || lw == "ref_system_id"):
				// SRID n | REF_SYSTEM_ID [=] n
				k := j
				for k < n && (isSpaceByte(query[k]) || query[k] == '=') {
					k++
				}
				m := k
				for m < n && query[m] >= '0' && query[m] <= '9' {
					m++
				}
				if m > k {
					b.WriteString("SECONDARY_ENGINE_ATTRIBUTE '" + attrSRIDPrefix + query[k:m] + "'")
					toks = append(toks, token{tokString, k, m})
					i = m
					continue
				}
				b.WriteString(w)
			case kind == tokWord && lw == "invisible" && word(1) != "set" && !indexCtx[len(indexCtx)-1]:
				b.WriteString("SECONDARY_ENGINE_ATTRIBUTE '" + attrInvisible + "'")
			case kind == tokWord && (lw == "visible" || lw == "invisible") && word(1) == "set":
				// ALTER COLUMN c SET [IN]VISIBLE (MySQL 8.0.23), unknown to
				// the parser: carried as a tagged SET DEFAULT.
				b.WriteString("DEFAULT ('" + attrPrefix + lw + "')")
			case kind == tokWord && lw == "spatial" && (nextWord(query, j) == "key" || nextWord(query, j) == "index"):
				// SPATIAL KEY/INDEX: a plain index to the model.
				indexCtx[len(indexCtx)-1] = true
				i = j
				continue
			case kind == tokWord && lw == "nocopy" && (word(1) == "=" || word(1) == "algorithm"):
				b.WriteString("INPLACE") // MariaDB's ALGORITHM=NOCOPY
			case kind == tokWord && lw == "nowait":
				i = j // MariaDB's lock-wait clause: no effect on the model
				continue
			case kind == tokWord && lw == "wait" && nextIsDigit(query, j):
				k := skipSpace(query, j)
				for k < n && query[k] >= '0' && query[k] <= '9' {
					k++
				}
				i = k // MariaDB's WAIT n
				continue
			case kind == tokWord && lw == "online" && len(toks) == 1 && word(1) == "alter":
				i = j // MariaDB's ALTER ONLINE TABLE
				continue
			case kind == tokWord && lw == "tables" && len(toks) == 1 && word(1) == "rename":
				b.WriteString("TABLE")
			case kind == tokWord && lw == "compressed" && word(1) != "=" && word(1) != "row_format":
				// MariaDB's column COMPRESSED[=zlib]: storage only.
				k := skipSpace(query, j)
				if k < n && query[k] == '=' {
					k = skipSpace(query, k+1)
					for k < n && isWordByte(query[k]) {
						k++
					}
				}
				i = k
				continue
			case kind == tokWord && lw == "default" && word(1) != "set" && nextIsParen(query, j):
				open := skipSpace(query, j)
				end := closingParen(query, open, mode)
				if end < 0 {
					b.WriteString(w)
					break
				}
				inner := query[open+1 : end]
				if !mode.noBackslashEscapes {
					inner = strings.ReplaceAll(inner, `\`, `\\`)
				}
				b.WriteString("DEFAULT " + defaultExprFunc + "('" + strings.ReplaceAll(inner, "'", "''") + "')")
				toks = append(toks, t, token{tokString, open, end + 1})
				i = end + 1
				continue
			case kind == tokWord && lw == "persistent":
				b.WriteString("STORED")
			default:
				if kind == tokWord {
					switch lw {
					case "index", "key", "unique", "primary", "fulltext", "spatial", "foreign", "constraint", "check":
						indexCtx[len(indexCtx)-1] = true
					}
				}
				b.WriteString(w)
			}
			lastWordAt = wordAt
			toks = append(toks, t)
			i = j
		default:
			switch c {
			case '(':
				indexCtx = append(indexCtx, false)
			case ')':
				if len(indexCtx) > 1 {
					indexCtx = indexCtx[:len(indexCtx)-1]
				}
			case ',':
				indexCtx[len(indexCtx)-1] = false
			}
			toks = append(toks, token{tokPunct, i, i + 1})
			b.WriteByte(c)
			i++
		}
	}
	emit(n)
	return out
}

// isRoutine reports whether the statement so far defines a stored
// program (procedure, function, trigger, event): its body holds
// semicolons that do not end the statement (a QUERY event carries one such
// definition, the rest of the query is its body).
func isRoutine(query string, toks []token) bool {
	if len(toks) == 0 || !strings.EqualFold(query[toks[0].start:toks[0].end], "create") {
		return false
	}
	for k := 1; k < len(toks) && k < 16; k++ {
		if toks[k].kind != tokWord {
			continue
		}
		switch strings.ToLower(query[toks[k].start:toks[k].end]) {
		case "procedure", "function", "trigger", "event":
			return true
		case "table", "database", "schema", "index", "view":
			return false
		}
	}
	return false
}

// isTrackedDDL reports whether a statement is of a kind Apply tracks, from
// its leading keywords; a statement the parser cannot read is an error
// only then (other statements are ignored whether or not TiDB reads them).
func isTrackedDDL(sql string) bool {
	words := strings.Fields(strings.ToLower(sql))
	if len(words) > 8 {
		words = words[:8]
	}
	skip := func(i int, opt ...string) int {
		for i < len(words) {
			found := false
			for _, o := range opt {
				if words[i] == o {
					found = true
				}
			}
			if !found {
				break
			}
			i++
		}
		return i
	}
	next := func(i int, want ...string) bool {
		if i >= len(words) {
			return false
		}
		w := strings.TrimRight(words[i], "(`")
		for _, x := range want {
			if w == x {
				return true
			}
		}
		return false
	}
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "create":
		return next(skip(1, "or", "replace", "temporary", "unique", "online", "offline"), "table", "database", "schema", "index")
	case "alter":
		return next(skip(1, "online", "offline", "ignore"), "table", "database", "schema")
	case "drop":
		return next(skip(1, "temporary"), "table", "tables", "database", "schema", "index")
	case "rename":
		return next(1, "table", "tables")
	case "truncate":
		return true
	}
	return false
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	return i
}

func nextIsDigit(s string, i int) bool {
	i = skipSpace(s, i)
	return i < len(s) && s[i] >= '0' && s[i] <= '9'
}

// nextWord returns the next word after position i, lower-cased.
func nextWord(s string, i int) string {
	i = skipSpace(s, i)
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return strings.ToLower(s[i:j])
}

func nextIsParen(s string, i int) bool {
	i = skipSpace(s, i)
	return i < len(s) && s[i] == '('
}

// closingParen returns the index of the parenthesis closing the one at
// open, skipping quoted text; -1 if there is none.
func closingParen(s string, open int, mode lexMode) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch c := s[i]; c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case '\'', '"', '`':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && c != '`' && !mode.noBackslashEscapes {
					i++
				}
			}
		}
	}
	return -1
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
