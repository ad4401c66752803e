package jsonb

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
)

// corpusDir returns ../shared/corpus/binlog relative to the repository
// root, skipping the test when it is missing (failing under CI=true).
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// --- a test-only binary JSON encoder -------------------------------------

// Test values: nil, bool, int64, uint64, float64, string, obj, arr,
// opaque, lg (forces the large format for one container), raw (bytes
// used as an already-encoded value: type byte + body).
type (
	kv struct {
		k string
		v any
	}
	obj    []kv
	arr    []any
	opaque struct {
		typ  byte
		data []byte
	}
	lg struct{ v any }
)

// encode returns the binary JSON document of v; containers use the large
// format when large is set (or when wrapped in lg).
func encode(v any, large bool) []byte {
	t, body := encodeValue(v, large)
	return append([]byte{t}, body...)
}

func appendVarLen(b []byte, n int) []byte {
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func encodeValue(v any, large bool) (byte, []byte) {
	switch x := v.(type) {
	case nil:
		return jsonLiteral, []byte{0}
	case bool:
		if x {
			return jsonLiteral, []byte{1}
		}
		return jsonLiteral, []byte{2}
	case int:
		return encodeValue(int64(x), large)
	case int64:
		switch {
		case x >= math.MinInt16 && x <= math.MaxInt16:
			return jsonInt16, binary.LittleEndian.AppendUint16(nil, uint16(x))
		case x >= math.MinInt32 && x <= math.MaxInt32:
			return jsonInt32, binary.LittleEndian.AppendUint32(nil, uint32(x))
		}
		return jsonInt64, binary.LittleEndian.AppendUint64(nil, uint64(x))
	case uint64:
		switch {
		case x <= math.MaxUint16:
			return jsonUint16, binary.LittleEndian.AppendUint16(nil, uint16(x))
		case x <= math.MaxUint32:
			return jsonUint32, binary.LittleEndian.AppendUint32(nil, uint32(x))
		}
		return jsonUint64, binary.LittleEndian.AppendUint64(nil, x)
	case float64:
		return jsonDouble, binary.LittleEndian.AppendUint64(nil, math.Float64bits(x))
	case string:
		return jsonString, append(appendVarLen(nil, len(x)), x...)
	case opaque:
		return jsonOpaque, append(appendVarLen([]byte{x.typ}, len(x.data)), x.data...)
	case lg:
		return encodeValue(x.v, true)
	case obj:
		keys := make([]string, len(x))
		vals := make([]any, len(x))
		for i, m := range x {
			keys[i], vals[i] = m.k, m.v
		}
		return encodeContainer(true, keys, vals, large)
	case arr:
		return encodeContainer(false, nil, x, large)
	}
	panic("encode: unsupported test value")
}

func encodeContainer(isObj bool, keys []string, vals []any, large bool) (byte, []byte) {
	w := 2
	if large {
		w = 4
	}
	put := func(b []byte, v int) []byte {
		if large {
			return binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		return binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	n := len(vals)
	header := 2*w + n*(1+w)
	if isObj {
		header += n * (2 + w)
	}
	var data []byte
	var keyEntries, valEntries []byte
	for _, k := range keys {
		keyEntries = put(keyEntries, header+len(data))
		keyEntries = binary.LittleEndian.AppendUint16(keyEntries, uint16(len(k)))
		data = append(data, k...)
	}
	for _, v := range vals {
		t, body := encodeValue(v, large)
		if inlined(t, large) {
			valEntries = append(valEntries, t)
			entry := make([]byte, w)
			copy(entry, body)
			valEntries = append(valEntries, entry...)
			continue
		}
		valEntries = append(valEntries, t)
		valEntries = put(valEntries, header+len(data))
		data = append(data, body...)
	}
	var out []byte
	out = put(out, n)
	out = put(out, header+len(data))
	out = append(out, keyEntries...)
	out = append(out, valEntries...)
	out = append(out, data...)
	typ := byte(jsonSmallArray)
	if isObj {
		typ = jsonSmallObject
	}
	if large {
		typ++
	}
	return typ, out
}

// --- a test-only binary DECIMAL encoder (decimal2bin) --------------------

// encodeDecimal encodes the decimal text s ("-12.5") as DECIMAL(prec,
// scale); s must have at most scale fraction digits and fit.
func encodeDecimal(s string, prec, scale int) []byte {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	fp += strings.Repeat("0", scale-len(fp))
	intg := prec - scale
	ip = strings.TrimLeft(ip, "0")
	ip = strings.Repeat("0", intg-len(ip)) + ip
	var out []byte
	appendGroup := func(digits string) {
		v, _ := new(big.Int).SetString(digits, 10)
		n := dig2bytes[len(digits)]
		u := v.Uint64()
		for i := n - 1; i >= 0; i-- {
			out = append(out, byte(u>>(8*i)))
		}
	}
	lead := intg % 9
	if lead > 0 {
		appendGroup(ip[:lead])
	}
	for i := lead; i < len(ip); i += 9 {
		appendGroup(ip[i : i+9])
	}
	for i := 0; i+9 <= scale; i += 9 {
		appendGroup(fp[i : i+9])
	}
	if scale%9 > 0 {
		appendGroup(fp[scale-scale%9:])
	}
	if len(out) > 0 {
		out[0] ^= 0x80
	}
	if neg {
		for i := range out {
			out[i] = ^out[i]
		}
	}
	return out
}
