package jsonb

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// TestAppendDecimalKnownVectors uses byte sequences that do not come from
// the test encoder: the example in MySQL's strings/decimal.cc decimal2bin
// comment, and values found in corpus binlogs.
func TestAppendDecimalKnownVectors(t *testing.T) {
	tests := []struct {
		hex         string
		prec, scale int
		want        string
	}{
		// decimal2bin comment: 1234567890.1234 as DECIMAL(14,4).
		{"810dfb38d204d2", 14, 4, "1234567890.1234"},
		// ... and its negation: every byte inverted.
		{"7ef204c72dfb2d", 14, 4, "-1234567890.1234"},
		// The example in AppendDecimal's documentation.
		{"807b2d", 5, 2, "123.45"},
		{"7f84d2", 5, 2, "-123.45"},
		// rust_mysql_common/json-opaque.binlog: DECIMAL(6,3) 123.456.
		{"807b01c8", 6, 3, "123.456"},
		// ... and DECIMAL(11,2) 9.00.
		{"8000000900", 11, 2, "9.00"},
		// MySqlCdc/mysql-bin.000001, DecimalColumn decimal(65,10), 51
		// bytes after the header of each WRITE_ROWS event.
		{"810dfb38d206b08be521c85c130010f89f13ef3bf427cd7f493b0237d702", 65, 10,
			"1234567890112233445566778899001112223334445556667778889.9900011112"},
	}
	for _, tc := range tests {
		bin := mustHex(t, tc.hex)
		got, n, err := AppendDecimal([]byte("x="), append(bin, 0xAA), tc.prec, tc.scale)
		if err != nil {
			t.Errorf("%s: %v", tc.hex, err)
			continue
		}
		if string(got) != "x="+tc.want || n != len(bin) {
			t.Errorf("%s: got %s (%d bytes), want %s (%d bytes)", tc.hex, got, n, tc.want, len(bin))
		}
		if size := DecimalBinarySize(tc.prec, tc.scale); size != len(bin) {
			t.Errorf("DecimalBinarySize(%d,%d) = %d, want %d", tc.prec, tc.scale, size, len(bin))
		}
	}
}

func TestAppendDecimalRoundTrip(t *testing.T) {
	cases := []struct {
		s           string
		prec, scale int
		want        string
	}{
		{"0", 10, 0, "0"},
		{"0", 10, 2, "0.00"},
		{"0.5", 5, 5, "0.50000"},
		{"-0.5", 5, 5, "-0.50000"},
		{"1", 1, 0, "1"},
		{"-9", 1, 0, "-9"},
		{"999999999", 9, 0, "999999999"},
		{"-999999999", 9, 0, "-999999999"},
		{"1000000000", 10, 0, "1000000000"},
		{"12.5", 10, 2, "12.50"},
		{"-12.5", 10, 2, "-12.50"},
		{"0.000000001", 20, 9, "0.000000001"},
		{"0.0000000001", 20, 10, "0.0000000001"},
		{strings.Repeat("9", 35) + "." + strings.Repeat("9", 30), 65, 30, strings.Repeat("9", 35) + "." + strings.Repeat("9", 30)},
		{"-" + strings.Repeat("9", 65), 65, 0, "-" + strings.Repeat("9", 65)},
		{"1" + strings.Repeat("0", 64), 65, 0, "1" + strings.Repeat("0", 64)},
		{"0." + strings.Repeat("0", 29) + "1", 30, 30, "0." + strings.Repeat("0", 29) + "1"},
		{"123456789.123456789", 18, 9, "123456789.123456789"},
		{"-100.01", 19, 4, "-100.0100"},
	}
	for _, tc := range cases {
		bin := encodeDecimal(tc.s, tc.prec, tc.scale)
		got, n, err := AppendDecimal(nil, bin, tc.prec, tc.scale)
		if err != nil || string(got) != tc.want || n != len(bin) {
			t.Errorf("%s DECIMAL(%d,%d) %x: got %q %d %v, want %q", tc.s, tc.prec, tc.scale, bin, got, n, err, tc.want)
		}
	}
	// Random values over every precision and scale.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		prec := 1 + rng.Intn(65)
		scale := rng.Intn(min(prec, 30) + 1)
		var sb strings.Builder
		if rng.Intn(2) == 0 {
			sb.WriteByte('-')
		}
		intDigits := rng.Intn(prec - scale + 1)
		if intDigits == 0 {
			sb.WriteByte('0')
		} else {
			sb.WriteByte(byte('1' + rng.Intn(9)))
			for j := 1; j < intDigits; j++ {
				sb.WriteByte(byte('0' + rng.Intn(10)))
			}
		}
		if scale > 0 {
			sb.WriteByte('.')
			for j := 0; j < scale; j++ {
				sb.WriteByte(byte('0' + rng.Intn(10)))
			}
		}
		s := sb.String()
		bin := encodeDecimal(s, prec, scale)
		want := s
		if s == "-0" {
			want = "0" // see the negative-zero cases in TestAppendDecimalErrors
		}
		got, n, err := AppendDecimal(nil, bin, prec, scale)
		if err != nil || string(got) != want || n != len(bin) {
			t.Fatalf("%s DECIMAL(%d,%d) %x: got %q %d %v", s, prec, scale, bin, got, n, err)
		}
	}
}

func TestAppendDecimalErrors(t *testing.T) {
	for _, ps := range [][2]int{{66, 0}, {10, 31}, {5, 6}, {-1, 0}, {10, -1}} {
		if _, _, err := AppendDecimal(nil, make([]byte, 64), ps[0], ps[1]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DECIMAL(%d,%d): want ErrCorrupt, got %v", ps[0], ps[1], err)
		}
	}
	// Truncated.
	bin := encodeDecimal("12.5", 10, 2)
	if _, _, err := AppendDecimal(nil, bin[:len(bin)-1], 10, 2); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	// A full group above 999999999: DECIMAL(9,0) of 0x3B9ACA00 (1e9).
	var e *Error
	_, _, err := AppendDecimal(nil, []byte{0x80 | 0x3B, 0x9A, 0xCA, 0x00}, 9, 0)
	if !errors.As(err, &e) || e.Offset != 0 || !strings.Contains(e.What, "exceeds 999999999") {
		t.Errorf("big group: %v", err)
	}
	// A leftover group with too many digits: DECIMAL(3,0) 1000.
	_, _, err = AppendDecimal(nil, []byte{0x80 | 0x03, 0xE8}, 3, 0)
	if !errors.As(err, &e) || !strings.Contains(e.What, "more than 3 digits") {
		t.Errorf("leftover integer group: %v", err)
	}
	// Fraction leftover too big: DECIMAL(3,2) 0.100 ("100" in a 2-digit slot), at offset 1.
	_, _, err = AppendDecimal(nil, []byte{0x80, 100}, 3, 2)
	if !errors.As(err, &e) || e.Offset != 1 || !strings.Contains(e.What, "fraction group") {
		t.Errorf("leftover fraction group: %v", err)
	}
	// A fraction full group at offset 4 in DECIMAL(18,9).
	_, _, err = AppendDecimal(nil, []byte{0x80, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF}, 18, 9)
	if !errors.As(err, &e) || e.Offset != 4 {
		t.Errorf("fraction group: %v", err)
	}
	// Negative zero: MySQL keeps the sign only when there is a fraction.
	for _, tc := range []struct {
		bin         []byte
		prec, scale int
		want        string
	}{
		{[]byte{0x7F, 0xFF, 0xFF, 0xFF}, 9, 0, "0"},
		{[]byte{0x7F, 0xFF}, 3, 0, "0"},
		{[]byte{0x7F, 0xFF}, 2, 2, "-0.00"},
		{[]byte{0x7F, 0xFF, 0xFF}, 4, 2, "-0.00"},
	} {
		if got, _, err := AppendDecimal(nil, tc.bin, tc.prec, tc.scale); err != nil || string(got) != tc.want {
			t.Errorf("negative zero %x DECIMAL(%d,%d): %q %v, want %q", tc.bin, tc.prec, tc.scale, got, err, tc.want)
		}
	}
	// Precision 0 decodes as zero without consuming bytes.
	if got, n, err := AppendDecimal(nil, nil, 0, 0); err != nil || string(got) != "0" || n != 0 {
		t.Errorf("DECIMAL(0,0): %q %d %v", got, n, err)
	}
}
