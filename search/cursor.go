package search

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// fingerprint identifies what a cursor pages through: the query text,
// filters and sort (not the permissions, which are re-evaluated on every
// page).
func (q *Query) fingerprint() []byte {
	types := slices.Clone(q.Types)
	slices.Sort(types)
	libs := slices.Clone(q.Library)
	slices.Sort(libs)
	s := strings.Join([]string{q.Text, strings.Join(libs, "\x01"), strings.Join(types, "\x01"), q.Author,
		q.ModifiedAfter.UTC().Format(time.RFC3339Nano), q.ModifiedBefore.UTC().Format(time.RFC3339Nano), q.SortOrder()}, "\x00")
	h := sha256.Sum256([]byte(s))
	return h[:8]
}

// SortOrder returns q.Sort, defaulting to SortRelevance.
func (q *Query) SortOrder() string {
	if q.Sort == SortModified {
		return SortModified
	}
	return SortRelevance
}

// Offset decodes q.Cursor into the offset of the page it names (0 without
// a cursor). A cursor made for another query is ErrBadCursor.
func (q *Query) Offset() (int, error) {
	if q.Cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil || len(b) != 12 {
		return 0, ErrBadCursor
	}
	if string(b[:8]) != string(q.fingerprint()) {
		return 0, ErrBadCursor
	}
	off := int(binary.BigEndian.Uint32(b[8:]))
	if off > MaxOffset {
		return 0, ErrBadCursor
	}
	return off, nil
}

// NextCursor returns the cursor of the page after one starting at offset
// with n hits out of total, or "" when there is none.
func (q *Query) NextCursor(offset, n int, total uint64) string {
	next := offset + n
	if n == 0 || uint64(next) >= total || next > MaxOffset {
		return ""
	}
	b := make([]byte, 12)
	copy(b, q.fingerprint())
	binary.BigEndian.PutUint32(b[8:], uint32(next))
	return base64.RawURLEncoding.EncodeToString(b)
}

// Validate reports a query the API should refuse, in plain words.
func (q *Query) Validate() error {
	if q.Sort != "" && q.Sort != SortRelevance && q.Sort != SortModified {
		return fmt.Errorf("sort must be %s or %s", SortRelevance, SortModified)
	}
	if q.Limit < 0 {
		return fmt.Errorf("limit must be positive")
	}
	if !q.ModifiedAfter.IsZero() && !q.ModifiedBefore.IsZero() && q.ModifiedBefore.Before(q.ModifiedAfter) {
		return fmt.Errorf("modified_before is before modified_after")
	}
	return nil
}
