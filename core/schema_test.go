package core

import (
	"encoding/json"
	"reflect"
	"testing"
)

func sampleTable() *Table {
	return &Table{
		Schema: "shop", Name: "orders", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Version: 3,
		Columns: []Column{
			{Name: "id", Type: ColumnType{Name: "bigint", Unsigned: true}, AutoIncrement: true},
			{Name: "status", Type: ColumnType{Name: "enum", Elems: []string{"new", "paid"}, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}, Default: "'new'"},
			{Name: "total", Type: ColumnType{Name: "decimal", Precision: 10, Scale: 2}, Nullable: true},
			{Name: "placed", Type: ColumnType{Name: "timestamp", FSP: 3}, Default: "CURRENT_TIMESTAMP(3)"},
		},
		PrimaryKey: &Key{Name: "PRIMARY", Columns: []KeyColumn{{Name: "id"}}},
		UniqueKeys: []Key{{Name: "uk", Columns: []KeyColumn{{Name: "status", Prefix: 2}, {Name: "placed"}}}},
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := sampleTable()
	b := a.Clone()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("clone differs:\n%+v\n%+v", a, b)
	}
	b.Columns[1].Type.Elems[0] = "changed"
	b.PrimaryKey.Columns[0].Name = "x"
	b.UniqueKeys[0].Columns[0].Prefix = 9
	b.Columns = append(b.Columns, Column{Name: "more"})
	if a.Columns[1].Type.Elems[0] != "new" || a.PrimaryKey.Columns[0].Name != "id" || a.UniqueKeys[0].Columns[0].Prefix != 2 || len(a.Columns) != 4 {
		t.Fatalf("changing the clone changed the original: %+v", a)
	}
}

func TestFingerprint(t *testing.T) {
	a := sampleTable()
	b := a.Clone()
	b.Version = 99
	if a.Fingerprint() != b.Fingerprint() || !a.SameDefinition(b) {
		t.Error("the version changed the fingerprint")
	}
	if len(a.Fingerprint()) != 32 {
		t.Errorf("fingerprint %q: want 32 hex digits", a.Fingerprint())
	}
	for name, change := range map[string]func(*Table){
		"column renamed":   func(t *Table) { t.Columns[2].Name = "sum" },
		"type widened":     func(t *Table) { t.Columns[2].Type.Precision = 12 },
		"enum label added": func(t *Table) { t.Columns[1].Type.Elems = append(t.Columns[1].Type.Elems, "shipped") },
		"column reordered": func(t *Table) { t.Columns[2], t.Columns[3] = t.Columns[3], t.Columns[2] },
		"nullability":      func(t *Table) { t.Columns[0].Nullable = true },
		"pk dropped":       func(t *Table) { t.PrimaryKey = nil },
		"charset":          func(t *Table) { t.Columns[1].Type.Charset = "latin1" },
		"unsigned":         func(t *Table) { t.Columns[0].Type.Unsigned = false },
		"table renamed":    func(t *Table) { t.Name = "orders2" },
	} {
		c := a.Clone()
		change(c)
		if c.Fingerprint() == a.Fingerprint() {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}

func TestColumnIndexAndJSON(t *testing.T) {
	a := sampleTable()
	if a.ColumnIndex("TOTAL") != 2 || a.ColumnIndex("nope") != -1 {
		t.Error("ColumnIndex")
	}
	if a.QualifiedName() != "shop.orders" {
		t.Error(a.QualifiedName())
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, a) {
		t.Fatalf("JSON round trip:\n%s\n%+v", b, back)
	}
}

// TestFingerprintStable guards the fingerprints of stored definitions: a
// definition's fingerprint must not change across releases unless the
// definition does (a new version would be recorded for every table), so
// fields added to the model must be omitted when unset.
func TestFingerprintStable(t *testing.T) {
	a := sampleTable()
	// Computed before ColumnType.JSON existed.
	const want = "eaa7e787c007d24355d5a13d97b05538"
	if got := a.Fingerprint(); got != want {
		t.Errorf("fingerprint of a definition without JSON columns is %s, was %s", got, want)
	}
	b := a.Clone()
	b.Columns[1].Type.JSON = true
	if b.Fingerprint() == a.Fingerprint() {
		t.Error("ColumnType.JSON does not change the fingerprint")
	}
	js, err := json.Marshal(a.Columns[2].Type)
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"name":"decimal","precision":10,"scale":2}` {
		t.Errorf("a column type without JSON marshals as %s", js)
	}
}
