package idp

// Config configures this component. The zero value, after DefaultConfig,
// runs with embedded defaults.
type Config struct{}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config { return Config{} }

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error { return nil }
