package docstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// caseClash refuses a new name at the clean path cp when a live sibling
// other than item self (0 for none) has the same name up to case.
func (s *Store) caseClash(ctx context.Context, q querier, l libRow, cp string, self int64) error {
	name := baseOf(cp)
	var other string
	err := q.QueryRowContext(ctx, s.q(`SELECT name FROM docs_items WHERE library_id = ? AND trash = 0 AND parent = ? AND name_key = ? AND name <> ? AND id <> ? LIMIT 1`),
		l.id, parentOf(cp), nameKey(name), name, self).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("docstore: name check: %w", err)
	}
	return fmt.Errorf("%w: %q is in the way of %q in %s", ErrCaseClash, other, name, l.name+parentOf(cp))
}

// backfillNameKeys fills name_key for rows written before the column.
func (s *Store) backfillNameKeys(ctx context.Context) error {
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM docs_items WHERE name_key = '' LIMIT 1000`)
		if err != nil {
			return fmt.Errorf("docstore: name keys: %w", err)
		}
		type row struct {
			id   int64
			name string
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name); err != nil {
				rows.Close()
				return fmt.Errorf("docstore: name keys: %w", err)
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("docstore: name keys: %w", err)
		}
		if len(todo) == 0 {
			return nil
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			for _, r := range todo {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE docs_items SET name_key = ? WHERE id = ?`), nameKey(r.name), r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("docstore: name keys: %w", err)
		}
	}
}
