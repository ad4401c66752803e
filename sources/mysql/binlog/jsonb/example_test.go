package jsonb_test

import (
	"fmt"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog/jsonb"
)

func ExampleAppendJSON() {
	// {"a": [1, "x"]} as MySQL stores it: a small object holding a small
	// array with an inlined int16 and a string.
	bin := []byte{
		0x00,       // small object
		0x01, 0x00, // 1 member
		0x18, 0x00, // 24 bytes
		0x0b, 0x00, 0x01, 0x00, // key at 11, length 1
		0x02, 0x0c, 0x00, // value: small array at 12
		'a',
		0x02, 0x00, // array: 2 elements
		0x0c, 0x00, // 12 bytes
		0x05, 0x01, 0x00, // int16 1, inlined
		0x0c, 0x0a, 0x00, // string at 10
		0x01, 'x',
	}
	out, err := jsonb.AppendJSON(nil, bin)
	fmt.Println(string(out), err)
	// Output: {"a":[1,"x"]} <nil>
}

func ExampleAppendDecimal() {
	// DECIMAL(14,4) 1234567890.1234, the example in MySQL's decimal.cc.
	bin := []byte{0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2}
	out, n, err := jsonb.AppendDecimal(nil, bin, 14, 4)
	fmt.Println(string(out), n, err)
	// Output: 1234567890.1234 7 <nil>
}

func ExampleApplyDiffs() {
	// A Json_diff_vector (after its 4-byte length) holding one diff:
	// REPLACE $.age with the int16 26.
	vec := []byte{0x00, 0x05, '$', '.', 'a', 'g', 'e', 0x03, 0x05, 0x1a, 0x00}
	diffs, err := jsonb.ParseDiffs(vec)
	if err != nil {
		panic(err)
	}
	after, err := jsonb.ApplyDiffs([]byte(`{"age":25,"name":"Joe"}`), diffs)
	fmt.Println(diffs[0].Op, diffs[0].Path, string(after), err)
	// Output: REPLACE $.age {"age":26,"name":"Joe"} <nil>
}
