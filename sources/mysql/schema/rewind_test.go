package schema

import (
	"strings"
	"testing"
)

func TestForwardKeepsOnlyWhatTheWindowCreates(t *testing.T) {
	settings := NewCatalog()
	settings.SetFlavor(FlavorMariaDB)
	settings.PutDatabase(Database{Name: "d", Charset: "utf8mb4", Collation: "utf8mb4_general_ci"})
	window := []QueryAt{
		{Query: "CREATE TABLE a (id INT PRIMARY KEY, v INT)", Schema: "d", At: Point{File: "b.000001", Pos: 100}},
		{Query: "INSERT INTO a VALUES (1, 1)", Schema: "d", At: Point{File: "b.000001", Pos: 150}},
		{Query: "ALTER TABLE a ADD COLUMN w VARCHAR(5)", Schema: "d", At: Point{File: "b.000001", Pos: 200}},
		{Query: "ALTER TABLE old ADD COLUMN x INT", Schema: "d", At: Point{File: "b.000001", Pos: 300}},
		{Query: "RENAME TABLE old TO renamed", Schema: "d", At: Point{File: "b.000001", Pos: 400}},
		{Query: "CREATE TABLE c (id INT PRIMARY KEY)", Schema: "d", At: Point{File: "b.000001", Pos: 500}},
		{Query: "DROP TABLE c", Schema: "d", At: Point{File: "b.000001", Pos: 600}},
	}
	got, err := Forward(settings, window, DDLFail)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range got.Tables() {
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
		}
		names = append(names, tb.QualifiedName()+"("+strings.Join(cols, ",")+")")
	}
	if want := "d.a(id,v,w)"; strings.Join(names, " ") != want {
		t.Fatalf("Forward kept %v, want %s (old and renamed came from before the window, c was dropped)", names, want)
	}
}
