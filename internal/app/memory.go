package app

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/waba-exporter/waba_exporter/window"
)

// Memory budget (--state.memory-limit). The budget is the memory the process may use in
// all: by default the cgroup's limit (a container's), else none. With a budget:
//
//   - GOMEMLIMIT (runtime/debug.SetMemoryLimit) is set to goMemLimitShare of it, so the
//     garbage collector works harder instead of letting the heap outgrow it (the rest is
//     for the runtime's own overhead and non-heap memory);
//   - the state's caps (messages, customers, conversations, reorder buffer) are lowered,
//     all by one factor, when their estimated peak size is over stateShare of it. The
//     other (1 - stateShare) is headroom: decoding, the batch queue, scrapes, the bounded
//     checkpoint buffer, garbage between collections.
//
// The per-entry figures are the BenchmarkMemoryPer* results (about 62 B per message and
// 130 B per customer once the maps are full) with a quarter added for map growth.
const (
	goMemLimitShare = 0.9
	stateShare      = 0.6

	bytesPerMessage      = 80
	bytesPerCustomer     = 165
	bytesPerConversation = 40
	bytesPerBuffered     = 48
)

// cgroupFiles are where the memory limit of the process's cgroup is read (v2, then v1).
var cgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// ParseBytes parses a size: a number of bytes with an optional unit (B, KB, MB, GB, TB
// in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; case-insensitive).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit, e.g. 1GiB or 512MB", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, unit)
	}
	if v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(v * mult), nil
}

// cgroupMemoryLimit returns the cgroup's memory limit, if there is one.
func cgroupMemoryLimit() (int64, bool) {
	for _, f := range cgroupFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 { // v1 reports "no limit" as a huge number
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// memoryBudget resolves --state.memory-limit: "" means the cgroup limit (or none), "0"
// none, anything else a size.
func memoryBudget(flag string) (limit int64, source string, err error) {
	switch strings.TrimSpace(flag) {
	case "":
		if n, ok := cgroupMemoryLimit(); ok {
			return n, "cgroup", nil
		}
		return 0, "", nil
	case "0":
		return 0, "", nil
	}
	n, err := ParseBytes(flag)
	if err != nil {
		return 0, "", fmt.Errorf("--state.memory-limit: %w", err)
	}
	if n < 64<<20 {
		return 0, "", errors.New("--state.memory-limit: below 64MiB, too small to run in")
	}
	return n, "--state.memory-limit", nil
}

// estimateStateBytes is the estimated peak size of a state with wc's caps.
func estimateStateBytes(wc window.Config) int64 {
	return int64(wc.MaxMessages)*bytesPerMessage + int64(wc.MaxCustomers)*bytesPerCustomer +
		int64(wc.MaxConversations)*bytesPerConversation + int64(wc.MaxBuffered)*bytesPerBuffered
}

// fitCaps lowers wc's caps, all by one factor, so that their estimated peak fits in
// stateShare of limit. It reports whether it changed them.
func fitCaps(wc *window.Config, limit int64) bool {
	full := window.DefaultConfig()
	for _, p := range []struct {
		v *int
		d int
	}{{&wc.MaxMessages, full.MaxMessages}, {&wc.MaxCustomers, full.MaxCustomers},
		{&wc.MaxConversations, full.MaxConversations}, {&wc.MaxBuffered, full.MaxBuffered}} {
		if *p.v <= 0 {
			*p.v = p.d
		}
	}
	budget := int64(float64(limit) * stateShare)
	est := estimateStateBytes(*wc)
	if est <= budget {
		return false
	}
	f := float64(budget) / float64(est)
	for _, v := range []*int{&wc.MaxMessages, &wc.MaxCustomers, &wc.MaxConversations, &wc.MaxBuffered} {
		*v = max(int(float64(*v)*f), 1000)
	}
	return true
}

// applyMemoryBudget sets GOMEMLIMIT and fits wc's caps to the budget of flag. Without a
// budget it changes nothing (a GOMEMLIMIT from the environment stays in force).
func applyMemoryBudget(flag string, wc *window.Config, log *slog.Logger) (int64, error) {
	limit, source, err := memoryBudget(flag)
	if err != nil || limit == 0 {
		return 0, err
	}
	goLimit := int64(float64(limit) * goMemLimitShare)
	debug.SetMemoryLimit(goLimit)
	before := *wc
	if fitCaps(wc, limit) {
		log.Warn("state caps lowered to fit the memory budget (raise the budget, or set lower caps in state:)",
			"budget_bytes", limit, "source", source,
			"max_messages", fmt.Sprintf("%d -> %d", before.MaxMessages, wc.MaxMessages),
			"max_customers", fmt.Sprintf("%d -> %d", before.MaxCustomers, wc.MaxCustomers),
			"max_conversations", fmt.Sprintf("%d -> %d", before.MaxConversations, wc.MaxConversations))
	}
	log.Info("memory budget", "budget_bytes", limit, "source", source, "gomemlimit_bytes", goLimit,
		"state_estimate_bytes", estimateStateBytes(*wc))
	return limit, nil
}
