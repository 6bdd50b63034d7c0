package search

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/kazhq/kaz/search/extract"
)

// Engines.
const (
	EngineBleve       = "bleve"
	EngineMeilisearch = "meilisearch"
)

// Config is the "search:" section. The zero value, after DefaultConfig,
// runs the embedded Bleve engine under the data folder.
type Config struct {
	// Engine is "bleve" (embedded, default) or "meilisearch".
	Engine string `yaml:"engine"`
	// Path is the folder of the embedded indexes. Default: DATA/index.
	Path string `yaml:"path"`
	// Meilisearch configures the "meilisearch" engine.
	Meilisearch MeiliConfig `yaml:"meilisearch"`
	// PollInterval is how often the indexer looks for new changes when
	// nothing notified it (freshness: well under a second).
	PollInterval time.Duration `yaml:"poll_interval"`
	// BatchSize is the most changes indexed in one batch under load.
	// Larger batches index a bulk load a little faster (2000: about 1.2×
	// the throughput of 500) but take more memory (1.8×), grow the index
	// and delay the documents queued behind each batch (about 1.1 s per
	// batch at 2000, 0.35 s at 500): see bench/search/README.md.
	BatchSize int `yaml:"batch_size"`
	// Workers is the number of documents whose text is extracted at once.
	Workers int `yaml:"workers"`
	// Limits bound the extraction of one document (size, text, zip
	// entries, inflation, ratio, time).
	Limits extract.Limits `yaml:"limits"`
}

// MeiliConfig is the "search.meilisearch:" section.
type MeiliConfig struct {
	// URL of the Meilisearch server, e.g. http://127.0.0.1:7700.
	URL string `yaml:"url"`
	// Key is the API key (a secret: prefer KAZ_SEARCH_MEILISEARCH_KEY_FILE).
	Key string `yaml:"key" secret:"true"`
	// Index is the Meilisearch index Kaz owns (default "kaz_documents").
	Index string `yaml:"index"`
	// Timeout bounds one request, including waiting for an indexing task.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{
		Engine:       EngineBleve,
		PollInterval: 150 * time.Millisecond,
		BatchSize:    500,
		Workers:      2,
		Limits:       extract.DefaultLimits(),
		Meilisearch:  MeiliConfig{Index: "kaz_documents", Timeout: 30 * time.Second},
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Engine == "" {
		c.Engine = d.Engine
	}
	if c.PollInterval <= 0 {
		c.PollInterval = d.PollInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = d.BatchSize
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.Meilisearch.Index == "" {
		c.Meilisearch.Index = d.Meilisearch.Index
	}
	if c.Meilisearch.Timeout <= 0 {
		c.Meilisearch.Timeout = d.Meilisearch.Timeout
	}
	return c
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config { return c.withDefaults() }

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error {
	var errs []error
	switch c.Engine {
	case "", EngineBleve:
	case EngineMeilisearch:
		u, err := url.Parse(c.Meilisearch.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("meilisearch.url: %q is not an http(s) URL (for example http://127.0.0.1:7700)", c.Meilisearch.URL))
		}
	default:
		errs = append(errs, fmt.Errorf("engine: %q is not bleve or meilisearch", c.Engine))
	}
	if c.PollInterval < 0 || c.PollInterval > time.Minute {
		errs = append(errs, errors.New("poll_interval: must be between 0 and 1m"))
	}
	if c.BatchSize < 0 || c.BatchSize > 10000 {
		errs = append(errs, errors.New("batch_size: must be between 1 and 10000"))
	}
	if c.Workers < 0 || c.Workers > 64 {
		errs = append(errs, errors.New("workers: must be between 1 and 64"))
	}
	if c.Limits.MaxBytes < 0 || c.Limits.MaxText < 0 || c.Limits.MaxEntries < 0 || c.Limits.MaxInflated < 0 || c.Limits.MaxRatio < 0 || c.Limits.Timeout < 0 {
		errs = append(errs, errors.New("limits: must not be negative"))
	}
	return errors.Join(errs...)
}
