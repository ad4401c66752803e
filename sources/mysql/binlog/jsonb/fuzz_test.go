package jsonb

import (
	"bytes"
	"encoding/json"
	"testing"
)

func seedDocs() [][]byte {
	return [][]byte{
		nil,
		encode(nil, false),
		encode("str\n\"", false),
		encode(1.5e-7, false),
		encode(obj{{"a", int64(1)}, {"bb", arr{uint64(1 << 40), -2.5, "x", true}}}, false),
		encode(obj{{"a", int64(-100000)}, {"n", obj{{"k", arr{}}}}}, true),
		encode(arr{opaque{typeNewDecimal, append([]byte{10, 2}, encodeDecimal("-12.34", 10, 2)...)}}, false),
		encode(arr{opaque{typeTime, packTime(true, 100, 1, 2, 3)}, opaque{typeDatetime, packDatetime(2020, 2, 29, 1, 2, 3, 4)}}, true),
		encode(opaque{15, []byte("xyz")}, false),
	}
}

// FuzzAppendJSON: never panics; successful output is valid JSON that the
// diff applier's text parser reads and prints back unchanged.
func FuzzAppendJSON(f *testing.F) {
	for _, d := range seedDocs() {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, bin []byte) {
		out, err := AppendJSON([]byte("pfx"), bin)
		if string(out[:3]) != "pfx" {
			t.Fatal("dst prefix clobbered")
		}
		if err != nil {
			if len(out) != 3 {
				t.Fatal("dst grown on error")
			}
			return
		}
		js := out[3:]
		if !json.Valid(js) {
			t.Fatalf("invalid JSON %q from %x", js, bin)
		}
		again, err := ApplyDiffs(js, nil)
		if err != nil || !bytes.Equal(again, js) {
			t.Fatalf("text round trip: %q -> %q, %v", js, again, err)
		}
	})
}

// FuzzParseDiffs: never panics; accepted diffs have parseable paths and
// values that alias the input.
func FuzzParseDiffs(f *testing.F) {
	f.Add(mustHex(f, "0005242e61676503051a00"))
	f.Add(encodeDiffs(
		Diff{DiffInsert, `$.a[last-1]."b c"`, encode(arr{int64(1)}, false)},
		Diff{DiffRemove, "$[0]", nil},
	))
	f.Fuzz(func(t *testing.T, b []byte) {
		diffs, err := ParseDiffs(b)
		if err != nil {
			return
		}
		total := 0
		for _, d := range diffs {
			if _, err := parsePath([]byte(d.Path), nil); err != nil {
				t.Fatalf("accepted path %q does not parse: %v", d.Path, err)
			}
			if (d.Value == nil) != (d.Op == DiffRemove) {
				t.Fatalf("value presence wrong for %v", d.Op)
			}
			total += 1 + len(d.Path) + len(d.Value)
		}
		if total > len(b) {
			t.Fatalf("diffs cover %d bytes of %d", total, len(b))
		}
	})
}

// FuzzApplyDiffs applies one diff to a document given in binary form (or,
// when that does not decode, to the bytes taken as JSON text): never
// panics; a successful result is valid JSON that prints back unchanged.
func FuzzApplyDiffs(f *testing.F) {
	for i, d := range seedDocs() {
		f.Add(d, uint8(i%3), []string{"$.a", "$.bb[1]", "$[0]", "$.n.k[last]", `$."a"`}[i%5], encode(obj{{"z", int64(i)}}, i%2 == 0))
	}
	f.Fuzz(func(t *testing.T, doc []byte, op uint8, path string, value []byte) {
		txt, err := AppendJSON(nil, doc)
		if err != nil {
			txt = doc
		}
		d := Diff{Op: DiffOp(op % 3), Path: path, Value: value}
		if d.Op == DiffRemove {
			d.Value = nil
		}
		out, err := ApplyDiffs(txt, []Diff{d})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q", out)
		}
		if again, err := ApplyDiffs(out, nil); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("result does not print back: %q -> %q, %v", out, again, err)
		}
	})
}

// FuzzApplyDiffVector parses a raw diff vector and applies it to raw JSON
// text: never panics; a successful result is valid JSON.
func FuzzApplyDiffVector(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,2]}`), mustHex(f, "0005242e61676503051a00"))
	f.Add([]byte(`{"age":1}`), mustHex(f, "0005242e61676503051a00"))
	f.Add([]byte(`[1,[2,{"x":null}]]`), encodeDiffs(
		Diff{DiffInsert, "$[1][0]", encode("s", false)},
		Diff{DiffReplace, "$[1][last].x", encode(obj{{"k", 2.5}}, true)},
		Diff{DiffRemove, "$[0]", nil},
	))
	f.Fuzz(func(t *testing.T, doc, vec []byte) {
		diffs, err := ParseDiffs(vec)
		if err != nil {
			return
		}
		out, err := ApplyDiffs(doc, diffs)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q", out)
		}
	})
}

// FuzzAppendDecimal: never panics; a decoded value re-encodes to exactly
// the bytes it was read from (so no two encodings print the same text).
func FuzzAppendDecimal(f *testing.F) {
	f.Add(mustHex(f, "810dfb38d204d2"), uint8(14), uint8(4))
	f.Add(mustHex(f, "7ef204c72dfb2d"), uint8(14), uint8(4))
	f.Add(encodeDecimal("-"+"9", 1, 0), uint8(1), uint8(0))
	f.Add(make([]byte, 30), uint8(65), uint8(30))
	f.Fuzz(func(t *testing.T, bin []byte, p, s uint8) {
		// Mostly valid precisions and scales, a few just out of range.
		prec, scale := int(p)%68, int(s)%33
		out, n, err := AppendDecimal(nil, bin, prec, scale)
		if err != nil {
			return
		}
		if n != DecimalBinarySize(prec, scale) || n > len(bin) {
			t.Fatalf("consumed %d of %d, size %d", n, len(bin), DecimalBinarySize(prec, scale))
		}
		if prec == 0 {
			return
		}
		re := encodeDecimal(string(out), prec, scale)
		if string(out) == "0" && !bytes.Equal(re, bin[:n]) {
			re = encodeDecimal("-0", prec, scale) // negative zero prints as "0" at scale 0
		}
		if !bytes.Equal(re, bin[:n]) {
			t.Fatalf("%x DECIMAL(%d,%d) -> %s -> %x", bin[:n], prec, scale, out, re)
		}
	})
}
