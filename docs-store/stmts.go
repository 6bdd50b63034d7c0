package docstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the prepared statements of the hot paths (Put and its
// checks), so that a query is parsed once per connection instead of once
// per call.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok {
		st.Close()
		return have, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (s *Store) closeStmts() {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// preparedQ is a querier running its queries as cached prepared
// statements, in tx when set, else on the pool.
type preparedQ struct {
	s  *Store
	tx *sql.Tx
}

var _ querier = preparedQ{}

func (s *Store) prepared(tx *sql.Tx) preparedQ { return preparedQ{s, tx} }

func (q preparedQ) get(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if q.tx != nil {
		st = q.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (q preparedQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q preparedQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext returns the preparation's error through Scan, as
// database/sql does.
func (q preparedQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.get(ctx, query)
	if err != nil {
		// A Row carrying err: run the query unprepared, which fails the
		// same way (or succeeds if the failure was transient).
		if q.tx != nil {
			return q.tx.QueryRowContext(ctx, query, args...)
		}
		return q.s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
