package docstore

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns Prometheus collectors for the writes of the store:
// how many transactions the committer ran and for how many writes (their
// ratio is the group commit's batch size), and the time spent committing
// and syncing the database log. A rising sync time per sync points at
// the disk.
func (s *Store) Collectors() []prometheus.Collector {
	st := &s.commits.stats
	counter := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "kaz", Subsystem: "docs", Name: name, Help: help}, v)
	}
	seconds := func(ns int64) float64 { return time.Duration(ns).Seconds() }
	return []prometheus.Collector{
		counter("commits_total", "Transactions run by the document store's committer (each holds one or more writes).",
			func() float64 { return float64(st.batches.Load()) }),
		counter("committed_writes_total", "Uploads committed by the committer, over all its transactions.",
			func() float64 { return float64(st.jobs.Load()) }),
		counter("commit_seconds_total", "Time the committer spent in its transactions.",
			func() float64 { return seconds(st.commitNs.Load()) }),
		counter("log_syncs_total", "Syncs (fsync) of the database log that made committed writes durable.",
			func() float64 { return float64(st.syncs.Load()) }),
		counter("log_sync_seconds_total", "Time spent syncing the database log.",
			func() float64 { return seconds(st.syncNs.Load()) }),
	}
}
