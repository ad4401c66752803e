package gtid

import (
	"fmt"
	"testing"
)

// realisticSet is a 5-UUID @@gtid_executed of a server with a few former
// primaries, some gaps and a tag, as the server prints it (",\n").
func realisticSet() string {
	uuids := []string{
		"0a4f0c2e-1b2c-11ee-8c3d-0242ac120002",
		"3e11fa47-71ca-11e1-9e33-c80aa9429562",
		"4c4bc7f0-71ca-11e1-9e33-c80aa9429562",
		"9d2f5a61-5e1a-11ed-b0a4-0242ac130003",
		"e6b1c7d2-8f3a-11ef-9a11-0242ac140004",
	}
	return fmt.Sprintf("%s:1-1234567,\n%s:1-88:90-4500:4502-10000,\n%s:1-25,\n%s:1-987654321:billing:1-4242,\n%s:1-7:9-12",
		uuids[0], uuids[1], uuids[2], uuids[3], uuids[4])
}

func BenchmarkAddConsecutive(b *testing.B) {
	s := MustParseSet(realisticSet())
	sid := mustUUID("9d2f5a61-5e1a-11ed-b0a4-0242ac130003")
	gno := int64(987654322)
	b.ReportAllocs()
	for b.Loop() {
		s.Add(sid, "", gno)
		gno++
	}
}

func BenchmarkAddConsecutiveTagged(b *testing.B) {
	s := MustParseSet(realisticSet())
	sid := mustUUID("9d2f5a61-5e1a-11ed-b0a4-0242ac130003")
	gno := int64(4243)
	b.ReportAllocs()
	for b.Loop() {
		s.Add(sid, "billing", gno)
		gno++
	}
}

func TestAddConsecutiveAllocatesNothing(t *testing.T) {
	s := MustParseSet(realisticSet())
	sid := mustUUID("9d2f5a61-5e1a-11ed-b0a4-0242ac130003")
	gno := int64(987654322)
	tgno := int64(4243)
	if n := testing.AllocsPerRun(1000, func() {
		s.Add(sid, "", gno)
		s.Add(sid, "billing", tgno)
		gno++
		tgno++
	}); n != 0 {
		t.Fatalf("Add of consecutive GNOs: %v allocations per run, want 0", n)
	}
}

func BenchmarkString(b *testing.B) {
	s := MustParseSet(realisticSet())
	b.ReportAllocs()
	for b.Loop() {
		_ = s.String()
	}
}

func BenchmarkParseSet(b *testing.B) {
	text := realisticSet()
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseSet(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	s := MustParseSet(realisticSet())
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Encode()
	}
}
