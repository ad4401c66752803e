package main

import "testing"

func TestCanonical(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name           string
		col            column
		source, target *string
		same           bool
	}{
		{"json keys, spaces, numbers", column{Kind: kJSON, TargetUDT: "jsonb"},
			s(`{"b":1.50,"a":[1,null,"Grüße 🎁"]}`), s(`{"a": [1, null, "Gr\u00fc\u00dfe 🎁"], "b": 1.5}`), true},
		{"json exponents", column{Kind: kJSON, TargetUDT: "jsonb"}, s(`[1e-10, 2E3, -0.0]`), s(`[0.0000000001, 2000, 0]`), true},
		{"json value differs", column{Kind: kJSON, TargetUDT: "text"}, s(`{"a":1}`), s(`{"a":2}`), false},
		{"decimal scale", column{Kind: kDecimal, Scale: 2}, s("19.9"), s("19.90"), true},
		{"decimal differs", column{Kind: kDecimal, Scale: 2}, s("19.90"), s("19.91"), false},
		{"set labels as text[]", column{Kind: kSet, TargetUDT: "_text"}, s("sale,eco"), s(`["eco","sale"]`), true},
		{"empty set", column{Kind: kSet, TargetUDT: "_text"}, s(""), s(`[]`), true},
		{"set differs", column{Kind: kSet, TargetUDT: "_text"}, s("sale"), s(`["eco"]`), false},
		{"timestamp micros", column{Kind: kTimestamp}, s("2024-01-02 03:04:05.120000"), s("2024-01-02 03:04:05.120000"), true},
		{"timestamp differs", column{Kind: kTimestamp}, s("2024-01-02 03:04:05.120000"), s("2024-01-02 04:04:05.120000"), false},
		{"bytes", column{Kind: kBytes}, s("00FF"), s("00ff"), true},
		{"null vs empty", column{Kind: kText}, nil, s(""), false},
		{"null vs null", column{Kind: kInt}, nil, nil, true},
		{"unsigned bigint", column{Kind: kInt}, s("18446744073709551615"), s("18446744073709551615"), true},
	} {
		a, b := canonical(tc.col, tc.source, false), canonical(tc.col, tc.target, true)
		if (a == b) != tc.same {
			t.Errorf("%s: source %s, target %s: same %v, want %v", tc.name, a, b, a == b, tc.same)
		}
	}
}

func TestBinlogPosAtLeast(t *testing.T) {
	p := func(f string, n int64) binlogPos { return binlogPos{File: f, Pos: n} }
	if !p("mariadb-bin.000002", 4).atLeast(p("mariadb-bin.000001", 9000)) {
		t.Error("a later file is not at least an earlier one")
	}
	if p("mariadb-bin.000001", 100).atLeast(p("mariadb-bin.000001", 101)) {
		t.Error("an earlier position is at least a later one")
	}
	if !p("mariadb-bin.000010", 4).atLeast(p("mariadb-bin.000009", 4)) {
		t.Error("files compare as text, not by number")
	}
}
