package binlog

import (
	"fmt"
	"math"
)

// This example decodes a TABLE_MAP and a WRITE_ROWS event (built by hand
// here; normally they come from a file or a replication stream) and prints
// every row as JSON keyed by column label.
func ExampleRowIterator() {
	tableMap := wrapEvent(TableMapEventType, (&testTable{id: 42, schema: "shop", name: "items",
		cols: []testColumn{
			{typ: TypeLong},
			{typ: TypeVarchar, meta: le(2, 80), nullable: true},
			{typ: TypeNewDecimal, meta: []byte{6, 2}},
			{typ: TypeDouble, meta: []byte{8}, nullable: true},
		},
		optional: append(optField(nil, MetaColumnName, nameList("id", "name", "price", "weight")), charsetMeta(255)...),
	}).body())
	rows := wrapEvent(WriteRowsEventV2Type, (&testRows{typ: WriteRowsEventV2Type, id: 42, width: 4, data: append(
		image(le(4, 1), lenPrefixed(1, []byte("teapot")), encodeDecimal("-12.5", 6, 2), le(8, math.Float64bits(0.75))),
		image(le(4, 2), nil, encodeDecimal("3", 6, 2), nil)...)}).body())

	dec := NewDecoder()
	for _, raw := range [][]byte{tableMap, rows} {
		ev, err := dec.Decode(raw)
		if err != nil {
			fmt.Println(err)
			return
		}
		re, ok := ev.Body.(*RowsEvent)
		if !ok {
			continue
		}
		it := re.Rows()
		for it.Next() {
			line := []byte("{")
			for i, v := range it.After() {
				if !v.Present() {
					continue
				}
				if len(line) > 1 {
					line = append(line, ',')
				}
				line = fmt.Appendf(line, "%q:", re.Table.ColumnLabel(i))
				line, err = v.AppendJSON(line)
				if err != nil {
					fmt.Println(err)
					return
				}
			}
			fmt.Println(string(append(line, '}')))
		}
		if err := it.Err(); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// {"id":1,"name":"teapot","price":"-12.50","weight":0.75}
	// {"id":2,"name":null,"price":"3.00","weight":null}
}
