package docstore

import (
	"errors"
	"fmt"
	"time"
)

// Config configures the document store (the "docs:" section). The zero
// value works: every zero field takes its default.
type Config struct {
	// MaxVersions is the default number of old versions kept per file in a
	// new library (default 100). A library may set its own.
	MaxVersions int `yaml:"max_versions"`
	// TrashDays is how long deleted items stay in the recycle bin before the
	// purge task removes them (default 93).
	TrashDays int `yaml:"trash_days"`
	// DefaultQuota is the quota in bytes of a new library when none is
	// given; 0 means unlimited.
	DefaultQuota int64 `yaml:"default_quota"`
	// DefaultLockTimeout applies when a LOCK asks for no timeout or
	// "Infinite" (default 10m).
	DefaultLockTimeout time.Duration `yaml:"default_lock_timeout"`
	// MaxLockTimeout caps every lock timeout (default 1h). Clients refresh.
	MaxLockTimeout time.Duration `yaml:"max_lock_timeout"`
	// MaintenanceInterval is how often the purge and blob collection run
	// (default 1h).
	MaintenanceInterval time.Duration `yaml:"maintenance_interval"`
	// BlobGrace protects freshly written, not yet referenced blobs from the
	// collector (default 1h).
	BlobGrace time.Duration `yaml:"blob_grace"`
	// AuditReads records every content read in the audit log (default true
	// through DefaultConfig; the zero value records them as well unless
	// NoAuditReads is set).
	NoAuditReads bool `yaml:"no_audit_reads"`
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{
		MaxVersions:         100,
		TrashDays:           93,
		DefaultLockTimeout:  10 * time.Minute,
		MaxLockTimeout:      time.Hour,
		MaintenanceInterval: time.Hour,
		BlobGrace:           time.Hour,
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxVersions == 0 {
		c.MaxVersions = d.MaxVersions
	}
	if c.TrashDays == 0 {
		c.TrashDays = d.TrashDays
	}
	if c.DefaultLockTimeout == 0 {
		c.DefaultLockTimeout = d.DefaultLockTimeout
	}
	if c.MaxLockTimeout == 0 {
		c.MaxLockTimeout = d.MaxLockTimeout
	}
	if c.DefaultLockTimeout > c.MaxLockTimeout {
		c.DefaultLockTimeout = c.MaxLockTimeout
	}
	if c.MaintenanceInterval == 0 {
		c.MaintenanceInterval = d.MaintenanceInterval
	}
	if c.BlobGrace == 0 {
		c.BlobGrace = d.BlobGrace
	}
	return c
}

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxVersions < 0 || c.MaxVersions > 100000 {
		errs = append(errs, fmt.Errorf("max_versions: %d is not between 0 and 100000", c.MaxVersions))
	}
	if c.TrashDays < 0 {
		errs = append(errs, fmt.Errorf("trash_days: %d is negative", c.TrashDays))
	}
	if c.DefaultQuota < 0 {
		errs = append(errs, errors.New("default_quota: negative"))
	}
	if c.DefaultLockTimeout < 0 || c.MaxLockTimeout < 0 || c.MaintenanceInterval < 0 || c.BlobGrace < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	return errors.Join(errs...)
}
