package binlogfile

import "strings"

// CompareNames orders binlog file names as the server numbers them: names of the form base.digits
// with the same base compare by the number (of any length, leading zeros
// ignored), so base.1000000 follows base.999999; anything else compares as plain strings, which is the best
// that can be said about names that do not share a base.
func CompareNames(a, b string) int {
	if a == b {
		return 0
	}
	ab, an, aok := splitBinlogName(a)
	bb, bn, bok := splitBinlogName(b)
	if aok && bok && ab == bb {
		an = strings.TrimLeft(an, "0")
		bn = strings.TrimLeft(bn, "0")
		if len(an) != len(bn) {
			if len(an) < len(bn) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(an, bn); c != 0 {
			return c
		}
		// Equal numbers written with different zero padding: fall back
		// to the text so that the order stays total and consistent.
	}
	return strings.Compare(a, b)
}

// splitBinlogName splits "base.000123" into "base" and "000123"; ok is
// false when the name has no all-digit extension.
func splitBinlogName(s string) (base, num string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i == len(s)-1 {
		return "", "", false
	}
	for j := i + 1; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return "", "", false
		}
	}
	return s[:i], s[i+1:], true
}
