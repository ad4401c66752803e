package schema

import (
	"errors"
	"strings"
	"testing"
)

// Names MariaDB (and MySQL 5.7) accept unquoted that TiDB's grammar
// reserves: the statement must still apply, with the same names.
func TestApplyReservedWordsAsNames(t *testing.T) {
	c := NewCatalog()
	a := NewApplier()
	for _, q := range []string{
		"CREATE DATABASE lag",
		"CREATE TABLE lag.t (id INT, `system` INT, empty INT, of INT, rank INT, lateral INT, lead INT)",
		"ALTER TABLE lag.t ADD COLUMN except INT AFTER empty, DROP COLUMN of",
		"ALTER TABLE t RENAME COLUMN rank TO groups",
	} {
		if _, err := a.Apply(c, "lag", q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var names []string
	for _, col := range c.Table("lag", "t").Columns {
		names = append(names, col.Name)
	}
	if got := strings.Join(names, ","); got != "id,system,empty,except,groups,lateral,lead" {
		t.Errorf("columns %s", got)
	}
	// A syntax error that quoting cannot mend keeps its own message.
	_, err := a.Apply(c, "lag", "ALTER TABLE t ADD COLUMN z INT NONSENSE")
	if !errors.Is(err, ErrUnparsable) || !strings.Contains(err.Error(), "NONSENSE") {
		t.Errorf("unparsable: %v", err)
	}
}
