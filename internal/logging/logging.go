// Package logging builds the exporter's log/slog loggers (--log.level, --log.format) and
// provides RateLimitHandler, which keeps floods of identical records (e.g. one per
// invalid input line) from drowning the log while still saying how many were dropped.
//
// Nothing here adds content to records: callers are responsible for never logging a
// customer number, message id or message text (docs/spec.md 8).
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Levels and Formats are the accepted values of --log.level and --log.format.
var (
	Levels  = []string{"debug", "info", "warn", "error"}
	Formats = []string{"logfmt", "json"}
)

// ParseLevel maps debug, info, warn or error (any case) to a slog.Level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want one of %s)", s, strings.Join(Levels, ", "))
}

// NewHandler returns the slog.Handler writing to w at level in format: logfmt
// (slog.TextHandler, key=value) or json (slog.JSONHandler).
func NewHandler(w io.Writer, level, format string) (slog.Handler, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "logfmt":
		return slog.NewTextHandler(w, opts), nil
	case "json":
		return slog.NewJSONHandler(w, opts), nil
	}
	return nil, fmt.Errorf("unknown log format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// New returns a logger writing to w at level (debug, info, warn, error) in format (logfmt
// or json). It does not rate-limit; wrap its handler with NewRateLimitHandler for that.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	h, err := NewHandler(w, level, format)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}

// NewRateLimited is New with its handler wrapped in a RateLimitHandler configured by
// opts. The caller should run h.Run(ctx, 0) so that suppression summaries are written
// even when a flood stops.
func NewRateLimited(w io.Writer, level, format string, opts RateLimitOptions) (*slog.Logger, *RateLimitHandler, error) {
	base, err := NewHandler(w, level, format)
	if err != nil {
		return nil, nil, err
	}
	h := NewRateLimitHandler(base, opts)
	return slog.New(h), h, nil
}
