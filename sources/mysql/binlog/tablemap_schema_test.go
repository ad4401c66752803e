package binlog

import (
	"testing"
)

// A TABLE_MAP without optional metadata (NO_LOG) completed from a schema:
// names, signedness, charset and ENUM/SET labels all change how the row
// reads.
func TestTableMapWithSchema(t *testing.T) {
	d := NewDecoder()
	tm := decodeTestTable(t, d, &testTable{id: 9, schema: "db", name: "t", cols: []testColumn{
		{typ: TypeLong},
		{typ: TypeVarchar, meta: le(2, 20)},
		{typ: TypeString, meta: []byte{byte(TypeEnum), 1}},
		{typ: TypeString, meta: []byte{byte(TypeSet), 1}},
		{typ: TypeTiny},
	}})
	ev, err := d.Decode(wrapEvent(WriteRowsEventV2Type, (&testRows{typ: WriteRowsEventV2Type, id: 9, width: 5,
		data: image(le(4, 0xfffffffb), lenPrefixed(1, []byte("caf\xe9")), []byte{2}, []byte{5}, []byte{0xff})}).body()))
	if err != nil {
		t.Fatal(err)
	}
	rows := ev.Body.(*RowsEvent)
	render := func(tm *TableMapEvent) []string {
		rows.Table = tm
		it := rows.Rows()
		if !it.Next() {
			t.Fatalf("no row: %v", it.Err())
		}
		var out []string
		for i := range it.After() {
			out = append(out, tm.ColumnLabel(i)+"="+renderJSON(t, &it.After()[i]))
		}
		return out
	}
	plain := render(tm)
	if plain[0] != `@1=-5` || plain[2] != `@3=2` || plain[3] != `@4=5` || plain[4] != `@5=-1` {
		t.Errorf("without schema: %v", plain)
	}
	annotated, err := tm.WithSchema([]ColumnSchema{
		{Name: "id", Unsigned: true},
		{Name: "name", Charset: CharsetLatin1},
		{Name: "color", Charset: CharsetUTF8MB4, EnumValues: []string{"red", "grün"}},
		{Name: "flags", Charset: CharsetLatin1, SetValues: []string{"a", "b", "ç"}},
		{Name: "small", Unsigned: false},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := render(annotated)
	wantAnn := []string{`id=4294967291`, `name="café"`, `color="grün"`, `flags=["a","ç"]`, `small=-1`}
	for i := range wantAnn {
		if got[i] != wantAnn[i] {
			t.Errorf("column %d: got %s, want %s", i+1, got[i], wantAnn[i])
		}
	}
	// The original is unchanged.
	if again := render(tm); again[0] != `@1=-5` {
		t.Errorf("original changed: %v", again)
	}
	if _, err := tm.WithSchema(make([]ColumnSchema, 4)); err == nil {
		t.Error("a schema of 4 columns for a 5-column TABLE_MAP was accepted")
	}
}

// What the TABLE_MAP carries wins over the schema.
func TestTableMapWithSchemaKeepsMetadata(t *testing.T) {
	d := NewDecoder()
	opt := append(signedness(false), optField(nil, MetaColumnName, append([]byte{1}, 'x'))...)
	tm := decodeTestTable(t, d, &testTable{id: 3, schema: "db", name: "t", cols: []testColumn{{typ: TypeLong}}, optional: opt})
	a, err := tm.WithSchema([]ColumnSchema{{Name: "other", Unsigned: true}})
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Column(0); c.Name != "x" || c.Unsigned {
		t.Errorf("TABLE_MAP metadata overridden: name %q unsigned %v", c.Name, c.Unsigned)
	}
}

func TestCharsetByName(t *testing.T) {
	for name, want := range map[string]Charset{"utf8": CharsetUTF8MB3, "utf8mb3": CharsetUTF8MB3, "utf8mb4": CharsetUTF8MB4,
		"latin1": CharsetLatin1, "binary": CharsetBinary, "nope": CharsetUnknown, "": CharsetUnknown} {
		if got := CharsetByName(name); got != want {
			t.Errorf("CharsetByName(%q) = %v, want %v", name, got, want)
		}
	}
}
