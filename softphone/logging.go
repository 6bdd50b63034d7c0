package softphone

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogger routes pion's logs into slog, one level down: pion is chatty
// (ICE state changes per call at Info, teardown races at Warn), so its
// Info goes to Debug, Warn to Info and Error to Warn.
type pionLogger struct{ log *slog.Logger }

type pionLoggerFactory struct{ log *slog.Logger }

func newPionLoggerFactory(log *slog.Logger) pionLoggerFactory { return pionLoggerFactory{log} }

func (f pionLoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

func (l pionLogger) emit(lv slog.Level, msg string) {
	if l.log.Enabled(context.Background(), lv) {
		l.log.Log(context.Background(), lv, msg)
	}
}

func (l pionLogger) emitf(lv slog.Level, f string, a ...any) {
	if l.log.Enabled(context.Background(), lv) {
		l.log.Log(context.Background(), lv, fmt.Sprintf(f, a...))
	}
}

func (l pionLogger) Trace(msg string)          { l.emit(slog.LevelDebug-4, msg) }
func (l pionLogger) Tracef(f string, a ...any) { l.emitf(slog.LevelDebug-4, f, a...) }
func (l pionLogger) Debug(msg string)          { l.emit(slog.LevelDebug-2, msg) }
func (l pionLogger) Debugf(f string, a ...any) { l.emitf(slog.LevelDebug-2, f, a...) }
func (l pionLogger) Info(msg string)           { l.emit(slog.LevelDebug, msg) }
func (l pionLogger) Infof(f string, a ...any)  { l.emitf(slog.LevelDebug, f, a...) }
func (l pionLogger) Warn(msg string)           { l.emit(slog.LevelInfo, msg) }
func (l pionLogger) Warnf(f string, a ...any)  { l.emitf(slog.LevelInfo, f, a...) }
func (l pionLogger) Error(msg string)          { l.emit(slog.LevelWarn, msg) }
func (l pionLogger) Errorf(f string, a ...any) { l.emitf(slog.LevelWarn, f, a...) }

var _ logging.LoggerFactory = pionLoggerFactory{}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
