package docstore

import (
	"strings"
	"testing"
)

// TestFolderQueriesReadTheFolderIndex asks SQLite how it runs the queries
// on a folder's children: the listing (PROPFIND Depth 1, the web folder
// view) and the case-twin check of every new name. Both must search an
// index of the folder's children, and the listing must come in index order
// with no sort, so that a folder of 10,000 files streams from its first
// row.
func TestFolderQueriesReadTheFolderIndex(t *testing.T) {
	s, _ := newTestStore(t, DefaultConfig(), nil)
	for _, c := range []struct{ what, q, index string }{
		{"listing", listQuery(true), "docs_items_name_key"},
		{"listing without hidden", listQuery(false), "docs_items_name_key"},
		{"case twins", `SELECT ` + itemCols + ` FROM docs_items WHERE library_id = ? AND trash = 0 AND parent = ? AND name_key = ?`, "docs_items_name_key"},
	} {
		all := queryPlan(t, s, c.q, 1, "/", "x")
		if !strings.Contains(all, "USING INDEX "+c.index) {
			t.Errorf("%s: plan %q does not search %s", c.what, all, c.index)
		}
		if strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("%s: plan %q sorts (no streaming)", c.what, all)
		}
	}
}

// queryPlan is SQLite's plan for q, its steps joined by "; ".
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("plan of %.60q: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
