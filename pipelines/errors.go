package pipelines

import (
	"fmt"
	"strings"
)

// Error is one problem in a pipelines file.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	// Path is the key path, e.g. pipelines[0].sink.postgres.zero_date;
	// empty for problems of the whole file (YAML syntax).
	Path string
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error formats as file:line:col: path: msg.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a pipelines file, in file order. Load
// and Parse return their errors as an *Errors.
type Errors struct {
	List []*Error
}

// Error joins the errors, one a line.
func (es *Errors) Error() string {
	lines := make([]string, len(es.List))
	for i, e := range es.List {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors for errors.Is and errors.As.
func (es *Errors) Unwrap() []error {
	out := make([]error, len(es.List))
	for i, e := range es.List {
		out[i] = e
	}
	return out
}
