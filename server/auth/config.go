package auth

// Config configures sign-in. The zero value, after DefaultConfig, uses the
// built-in provider.
type Config struct{}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config { return Config{} }

// Validate reports the first problem in c, in plain words.
func (c *Config) Validate() error { return nil }
