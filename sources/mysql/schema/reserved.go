package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// maxQuoteRetries bounds how many reserved words parse quotes in one
// statement.
const maxQuoteRetries = 8

// parse parses sql. The source server accepted the statement, so a word
// it took as a name may be one that TiDB's grammar reserves (MySQL 8's
// EMPTY, SYSTEM, OF, LATERAL..., TiDB's own): when the parser stops at
// such a word, the word is backquoted, which is what it was to the server,
// and the statement parsed again. The error returned is the first one.
func (a *Applier) parse(sql string) ([]ast.StmtNode, error) {
	stmts, err := parseSQL(a.p, sql)
	first := err
	for i := 0; err != nil && i < maxQuoteRetries; i++ {
		fixed, ok := quoteReservedAt(sql, err)
		if !ok {
			break
		}
		sql = fixed
		stmts, err = parseSQL(a.p, sql)
	}
	if err != nil {
		return nil, first
	}
	return stmts, nil
}

// parseSQL runs the parser, turning a panic inside it into an error: the
// value driver TiDB's parser needs for literals (test_driver) panics on
// some it does not implement, such as a DECIMAL literal of more than 81
// digits, and a statement in the binlog must never crash the stream.
func parseSQL(p *parser.Parser, sql string) (stmts []ast.StmtNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			stmts, err = nil, fmt.Errorf("the SQL parser failed on it: %v", r)
		}
	}()
	stmts, _, err = p.ParseSQL(sql)
	return stmts, err
}

// parseErrorAt reads where TiDB's syntax error points: its message quotes
// the input from the offending token on, with the total length when it is
// cut.
var parseErrorAt = regexp.MustCompile(`(?s)^line \d+ column \d+ near "(.*)"(?:\(total length (\d+)\))?`)

// quoteReservedAt backquotes the word the parse error points at, when it
// is a bare word TiDB reserves.
func quoteReservedAt(sql string, err error) (string, bool) {
	m := parseErrorAt.FindStringSubmatch(err.Error())
	if m == nil {
		return "", false
	}
	rest := len(m[1])
	if m[2] != "" {
		n, cerr := strconv.Atoi(m[2])
		if cerr != nil {
			return "", false
		}
		rest = n
	}
	off := len(sql) - rest
	if off <= 0 || off >= len(sql) || sql[off-1] == '`' {
		return "", false
	}
	end := off
	for end < len(sql) && isWordByte(sql[end]) {
		end++
	}
	if end == off || !reservedWord(sql[off:end]) {
		return "", false
	}
	return sql[:off] + "`" + sql[off:end] + "`" + sql[end:], true
}

// reservedWord reports whether TiDB's grammar reserves w.
func reservedWord(w string) bool {
	w = strings.ToUpper(w)
	for _, k := range parser.Keywords {
		if k.Reserved && k.Word == w {
			return true
		}
	}
	return false
}
