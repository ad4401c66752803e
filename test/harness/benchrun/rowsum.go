package benchrun

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
)

// RowSum summarizes one side's rows for the comparison of the target with
// the source: their count, the sum of their ids and the md5 of their
// canonical text in id order, which differs when any value does.
type RowSum struct {
	Count int64
	SumID int64
	MD5   string
}

func (c RowSum) String() string {
	return fmt.Sprintf("%s rows, sum(id) %d, md5 %s", Grouped(c.Count), c.SumID, c.MD5)
}

// RowSummer adds up a RowSum a row at a time, so that neither side's rows
// need to be held.
type RowSummer struct {
	sum RowSum
	h   hash.Hash
}

// NewRowSummer returns a RowSummer of no rows yet.
func NewRowSummer() *RowSummer { return &RowSummer{h: md5.New()} }

// Add counts the row with this id and canonical text (one line).
func (s *RowSummer) Add(id int64, line []byte) {
	s.sum.Count++
	s.sum.SumID += id
	s.h.Write(line)
}

// Sum returns the summary of the rows added so far.
func (s *RowSummer) Sum() RowSum {
	s.sum.MD5 = hex.EncodeToString(s.h.Sum(nil))
	return s.sum
}
