package pipelines

import (
	"strings"
	"testing"
)

func TestSnapshotSettings(t *testing.T) {
	const base = "state_dir: /tmp/s\npipelines:\n  - name: a\n    source: {dsn: 'u@tcp(h)/'%s}\n    sink: {type: postgres, dsn: 'host=x'}\n%s"
	for _, c := range []struct {
		name, source, extra string
		want                Snapshot
	}{
		{"default", "", "", Snapshot{Mode: SnapshotInitial, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}},
		{"start current keeps the default", ", start: current", "", Snapshot{Mode: SnapshotInitial, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}},
		{"a start in the past means never", ", start: earliest", "", Snapshot{Mode: SnapshotNever, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}},
		{"everything", "", "    snapshot: {mode: always, chunk_rows: 1000, chunk_bytes: 8MiB, parallel: 4}\n",
			Snapshot{Mode: SnapshotAlways, ChunkRows: 1000, ChunkBytes: 8 << 20, Parallel: 4}},
		{"never with a start", ", start: {file: mysql-bin.000002}", "    snapshot: {mode: never}\n",
			Snapshot{Mode: SnapshotNever, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}},
		{"schema_only", "", "    snapshot: {mode: schema_only}\n",
			Snapshot{Mode: SnapshotSchemaOnly, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}},
	} {
		f, err := parseString(t, strings.Replace(strings.Replace(base, "%s", c.source, 1), "%s", c.extra, 1), nil)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := f.Pipelines[0].Snapshot; got != c.want {
			t.Errorf("%s: snapshot %+v, want %+v", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ source, extra, want string }{
		{", start: earliest", "    snapshot: {mode: initial}\n", "snapshot.mode initial conflicts with source.start earliest"},
		{", start: {gtid: 0-1-5}", "    snapshot: {mode: always}\n", "set snapshot.mode: never"},
		{"", "    snapshot: {mode: sometimes}\n", `pipelines[0].snapshot.mode: "sometimes" is not one of initial, never, schema_only, always`},
		{"", "    snapshot: {parallel: 0}\n", "parallel is the number of connections reading chunks"},
		{"", "    snapshot: {chunk_rows: 0}\n", "a chunk reads at least one row"},
		{"", "    snapshot: {chunk: 5}\n", "pipelines[0].snapshot.chunk: unknown key chunk: valid keys here are mode, chunk_rows, chunk_bytes, parallel"},
	} {
		_, err := parseString(t, strings.Replace(strings.Replace(base, "%s", c.source, 1), "%s", c.extra, 1), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %q: error\n%v\nwant %s", c.source, c.extra, err, c.want)
		}
	}
}

// TableFilter applies other lists as Includes applies the pipeline's
// (the snapshot asks it of the lists a checkpoint remembers).
func TestTableFilter(t *testing.T) {
	f := TableFilter([]string{"Shop.*"}, []string{"shop.tmp_*"})
	for name, want := range map[string]bool{"shop.orders": true, "SHOP.Users": true, "shop.tmp_x": false, "crm.users": false} {
		db, table, _ := strings.Cut(name, ".")
		if got := f(db, table); got != want {
			t.Errorf("TableFilter(Shop.*, -shop.tmp_*)(%s) = %v", name, got)
		}
	}
	all := TableFilter(nil, nil)
	if all("mysql", "user") || !all("shop", "t") {
		t.Error("an empty include list must take every user table and no system one")
	}
}
