package schema

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyCovered holds the point up to which the binlog has been read into the
// history (see CoveredUntil).
var keyCovered = []byte("covered")

// CoveredUntil returns the point up to which the history is known to hold
// every DDL: the furthest of the point last given to SetCoveredUntil and
// the latest point recorded, lowered by TruncateAfter. The schema at a
// later point is AsOf's answer only if no DDL ran in between, which the
// history cannot tell: a reader starting past it must read the binlog in
// between first. false when the history is empty.
func (h *History) CoveredUntil() (Point, bool, error) {
	var out Point
	var ok bool
	err := h.view(func(tx *bolt.Tx) error {
		latest, _, held, err := latestPoint(tx)
		if err != nil || !held {
			return err
		}
		out, ok = latest, true
		if v := tx.Bucket(bucketMeta).Get(keyCovered); v != nil {
			p, err := decodePoint(v)
			if err != nil {
				return err
			}
			if p.Compare(out) > 0 {
				out = p
			}
		}
		return nil
	})
	if err != nil {
		return Point{}, false, fmt.Errorf("schema history: covered point: %w", err)
	}
	return out, ok, nil
}

// SetCoveredUntil records that every DDL up to p has been read into the
// history (by a stream at its checkpoint, or after reading binlog files).
// It never lowers the point; TruncateAfter does.
func (h *History) SetCoveredUntil(p Point) error {
	err := h.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyCovered); v != nil {
			cur, err := decodePoint(v)
			if err != nil {
				return err
			}
			if cur.Compare(p) >= 0 {
				return nil
			}
		}
		return meta.Put(keyCovered, encodePoint(p))
	})
	if err != nil {
		return fmt.Errorf("schema history: set covered point %v: %w", p, err)
	}
	return nil
}

// lowerCovered makes the covered point at most p (TruncateAfter): the
// binlog was read up to the furthest of the stored point and the latest
// record, and after the truncation the history holds what lies up to p.
// Call it before the records after p are deleted.
func lowerCovered(tx *bolt.Tx, p Point) error {
	meta := tx.Bucket(bucketMeta)
	cur, _, held, err := latestPoint(tx)
	if err != nil {
		return err
	}
	if v := meta.Get(keyCovered); v != nil {
		stored, err := decodePoint(v)
		if err != nil {
			return err
		}
		if !held || stored.Compare(cur) > 0 {
			cur, held = stored, true
		}
	}
	if !held {
		return nil
	}
	if cur.Compare(p) > 0 {
		cur = p
	}
	return meta.Put(keyCovered, encodePoint(cur))
}

func encodePoint(p Point) []byte {
	b := appendString(nil, p.File)
	return binary.AppendUvarint(b, p.Pos)
}

func decodePoint(b []byte) (Point, error) {
	file, rest, ok := takeBytes(b)
	if !ok {
		return Point{}, errors.New("malformed covered point")
	}
	pos, n := binary.Uvarint(rest)
	if n <= 0 || n != len(rest) {
		return Point{}, errors.New("malformed covered point")
	}
	return Point{File: string(file), Pos: pos}, nil
}
