package gtid

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// A brute-force model of a GTID set over a small universe: two UUIDs, two
// tags (untagged and "t"), GNOs 1..maxModelGNO. Set operations on it are
// plain map logic, so they are obviously right.
const maxModelGNO = 24

type modelKey struct {
	sid UUID
	tag string
	gno int64
}

type model map[modelKey]bool

var modelSIDs = []UUID{sidB, sidA} // deliberately not in sorted order
var modelTags = []string{"", "t"}

func forEachKey(f func(modelKey)) {
	for _, sid := range modelSIDs {
		for _, tag := range modelTags {
			for g := int64(1); g <= maxModelGNO; g++ {
				f(modelKey{sid, tag, g})
			}
		}
	}
}

// randomSet builds a set and its model, alternately through Add (random
// order), through parsing random, overlapping interval text, and through
// decoding a random binary encoding, so all three builders are checked.
func randomSet(r *rand.Rand) (*Set, model) {
	m := model{}
	density := r.IntN(4) // 0: empty-ish .. 3: dense
	forEachKey(func(k modelKey) {
		if r.IntN(4) < density {
			m[k] = true
		}
	})
	switch r.IntN(3) {
	case 0:
		var s Set
		keys := make([]modelKey, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		for _, k := range keys {
			s.Add(k.sid, k.tag, k.gno)
		}
		return &s, m
	case 1:
		// Text: each GTID as its own (possibly duplicated) interval, plus
		// random covering intervals split into pieces, in shuffled order.
		var specs []string
		for k := range m {
			tag := ""
			if k.tag != "" {
				tag = ":" + strings.ToUpper(k.tag)
			}
			end := k.gno
			// extend over following members to make multi-GNO intervals
			for end < maxModelGNO && m[modelKey{k.sid, k.tag, end + 1}] && r.IntN(2) == 0 {
				end++
			}
			specs = append(specs, fmt.Sprintf("%s%s:%d-%d", k.sid, tag, k.gno, end))
		}
		r.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
		s, err := ParseSet(strings.Join(specs, " ,\n"))
		if err != nil {
			panic(err)
		}
		return s, m
	default:
		var s Set
		for k := range m {
			s.Add(k.sid, k.tag, k.gno)
		}
		d, err := DecodeSet(s.Encode())
		if err != nil {
			panic(err)
		}
		return d, m
	}
}

func checkAgainstModel(t *testing.T, what string, s *Set, m model) {
	t.Helper()
	forEachKey(func(k modelKey) {
		if s.ContainsGTID(k.sid, k.tag, k.gno) != m[k] {
			t.Fatalf("%s: ContainsGTID(%s, %q, %d) = %v, model says %v (set %q)", what, k.sid, k.tag, k.gno, !m[k], m[k], s)
		}
	})
	if s.IsEmpty() != (len(m) == 0) {
		t.Fatalf("%s: IsEmpty = %v, model has %d", what, s.IsEmpty(), len(m))
	}
	// Canonical form invariants: sorted entries, no empty entry, intervals
	// sorted and non-touching.
	for i, e := range s.entries {
		if i > 0 && compareKey(s.entries[i-1].sid, s.entries[i-1].tag, e.sid, e.tag) >= 0 {
			t.Fatalf("%s: entries out of order in %q", what, s)
		}
		if len(e.ivs) == 0 {
			t.Fatalf("%s: empty entry in %q", what, s)
		}
		for j, iv := range e.ivs {
			if iv.Start < 1 || iv.End < iv.Start || (j > 0 && iv.Start <= e.ivs[j-1].End+1) {
				t.Fatalf("%s: non-canonical intervals %v in %q", what, e.ivs, s)
			}
		}
	}
}

func TestSetLawsAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		a, ma := randomSet(r)
		b, mb := randomSet(r)
		checkAgainstModel(t, "a", a, ma)
		checkAgainstModel(t, "b", b, mb)

		mu, md := model{}, model{}
		subset := true
		for k := range ma {
			mu[k] = true
			if !mb[k] {
				md[k] = true
			}
		}
		for k := range mb {
			mu[k] = true
			if !ma[k] {
				subset = false
			}
		}
		u := a.Union(b)
		checkAgainstModel(t, "a∪b", u, mu)
		d := a.Subtract(b)
		checkAgainstModel(t, "a\\b", d, md)
		if got := a.Contains(b); got != subset {
			t.Fatalf("(%q).Contains(%q) = %v, model says %v", a, b, got, subset)
		}
		// Laws.
		if !u.Equal(b.Union(a)) {
			t.Fatalf("union not commutative: %q %q", a, b)
		}
		if !u.Contains(a) || !u.Contains(b) || !a.Contains(d) {
			t.Fatalf("containment laws fail: %q %q", a, b)
		}
		if !d.Union(a.Subtract(d)).Equal(a) {
			t.Fatalf("(a\\b) ∪ (a\\(a\\b)) != a: %q %q", a, b)
		}
		if a.Equal(b) != (a.Contains(b) && b.Contains(a)) {
			t.Fatalf("Equal disagrees with mutual containment: %q %q", a, b)
		}
		// Text and binary round trips.
		for _, s := range []*Set{a, u, d} {
			p, err := ParseSet(s.String())
			if err != nil || !p.Equal(s) || p.String() != s.String() {
				t.Fatalf("text round trip of %q: %q, %v", s, p, err)
			}
			q, err := DecodeSet(s.Encode())
			if err != nil || !q.Equal(s) {
				t.Fatalf("binary round trip of %q: %q, %v", s, q, err)
			}
		}
	}
}
