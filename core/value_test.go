package core

import (
	"math/rand/v2"
	"testing"
)

// Every field of a civil time survives packing, at its extremes and at
// random: a field overlapping its neighbour corrupted DATETIME(6) values
// whose microseconds set bit 19.
func TestCivilRoundTrip(t *testing.T) {
	cases := []Civil{
		{},
		{Year: 9999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999},
		{Year: 1000, Month: 1, Day: 1},
		{Year: 2024, Month: 2, Day: 30, Second: 59, Microsecond: 1 << 19},
		{Year: 0, Month: 0, Day: 5, Hour: 1, Minute: 1, Second: 1, Microsecond: 524288},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		cases = append(cases, Civil{Year: r.IntN(10000), Month: r.IntN(13), Day: r.IntN(32), Hour: r.IntN(24),
			Minute: r.IntN(60), Second: r.IntN(60), Microsecond: r.IntN(1000000)})
	}
	for _, c := range cases {
		if got := DateTimeValue(c).Civil(); got != c {
			t.Fatalf("DateTimeValue(%+v).Civil() = %+v", c, got)
		}
		d := c
		d.Hour, d.Minute, d.Second, d.Microsecond = 0, 0, 0, 0
		if got := DateValue(c).Civil(); got != d {
			t.Fatalf("DateValue(%+v).Civil() = %+v", c, got)
		}
	}
}

func TestValueText(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Null(), "NULL"},
		{IntValue(-5), "-5"},
		{UintValue(18446744073709551615), "18446744073709551615"},
		{Float32Value(1.5), "1.5"},
		{DecimalValue([]byte("-0.50")), "-0.50"},
		{BitValue(5, 4), "b'101'"},
		{DateValue(Civil{Year: 2024, Month: 2, Day: 29}), "2024-02-29"},
		{DateTimeValue(Civil{Year: 1, Month: 1, Day: 1, Hour: 1, Minute: 2, Second: 3, Microsecond: 40}), "0001-01-01 01:02:03.000040"},
		{TimeValue(-(838*3600 + 59*60 + 59) * 1e6), "-838:59:59"},
		{TimeValue(1500000), "00:00:01.500000"},
		{TimestampValue(0), "1970-01-01 00:00:00"},
		{ZeroTimestampValue(), "0000-00-00 00:00:00"},
		{BytesValue([]byte{0, 0xff}), "0x00ff"},
		{SetValue([]byte("a,b")), "a,b"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%v value: String() = %q, want %q", tc.v.Kind(), got, tc.want)
		}
	}
	if !Float32Value(1.5).Equal(Float32Value(1.5)) || Float32Value(1.5).Equal(Float64Value(1.5)) {
		t.Error("Equal must compare kind and value")
	}
}

func TestVarValue(t *testing.T) {
	b := []byte("x")
	for _, c := range []struct {
		k    Kind
		want Value
	}{
		{KindDecimal, DecimalValue(b)}, {KindString, StringValue(b)}, {KindBytes, BytesValue(b)}, {KindEnum, EnumValue(b)},
		{KindSet, SetValue(b)}, {KindJSON, JSONValue(b)}, {KindGeometry, GeometryValue(b)}, {KindVector, VectorValue(b)},
	} {
		if got := VarValue(c.k, b); !got.Equal(c.want) {
			t.Errorf("VarValue(%s) = %v, want %v", c.k, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("VarValue of a fixed-width kind did not panic")
		}
	}()
	VarValue(KindInt, b)
}
