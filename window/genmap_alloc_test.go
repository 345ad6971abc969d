package window

import (
	"math/rand"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// tval is a genMap value for the tests: its key and the step that last wrote it, padded
// so that a chunk is not a whole number of cache lines (any stale byte shows).
type tval struct {
	k    uint64
	step uint32
	pad  [3]uint32
}

// modelMap is the specification of genMap, on Go maps: two generations, touches move an
// entry from old to current, the old one is dropped by TTL or when the current one is
// full.
type modelMap struct {
	ttl       int64
	limit     int
	start     int64
	cur, old  map[uint64]tval
	ev        [2]uint64
	dropped   []uint64
	rotations int
}

func newModelMap(ttl int64, limit int) *modelMap {
	return &modelMap{ttl: ttl, limit: max(limit, 2), cur: map[uint64]tval{}, old: map[uint64]tval{}}
}

func (m *modelMap) shift() {
	for k := range m.old {
		m.dropped = append(m.dropped, k)
	}
	m.old, m.cur = m.cur, map[uint64]tval{}
	m.rotations++
}

func (m *modelMap) rotate(now int64) {
	if m.start == 0 {
		m.start = now
		return
	}
	if now-m.start >= m.ttl {
		m.ev[ReasonTTL] += uint64(len(m.old))
		m.shift()
		m.start = now
	}
}

// getOrCreate returns the value of k and whether it is new.
func (m *modelMap) getOrCreate(k uint64, now int64) (tval, bool) {
	if v, ok := m.cur[k]; ok {
		return v, false
	}
	if v, ok := m.old[k]; ok {
		delete(m.old, k)
		m.cur[k] = v
		return v, false
	}
	if m.start == 0 {
		m.start = now
	}
	if len(m.cur) >= m.limit/2 {
		m.ev[ReasonCapacity] += uint64(len(m.old))
		m.shift()
	}
	m.cur[k] = tval{}
	return tval{}, true
}

// TestGenMapMatchesModel: under random inserts, touches and peeks, with generations
// rotated by TTL and by capacity many times (their memory recycled), a genMap holds the
// entries and values of the model, hands out zero values for new keys, reports the same
// evictions, and calls drop with exactly the entries of each dropped generation.
func TestGenMapMatchesModel(t *testing.T) {
	for _, tt := range []struct {
		name  string
		ttl   int64
		limit int
		keys  int // key population
		every int // one step of event time per this many operations
	}{
		{"ttl, generations of several chunks", 3000, 1 << 30, 9000, 1},
		{"ttl, generations swinging in size", 700, 1 << 30, 20000, 1},
		{"capacity", 1 << 40, 3*chunkLen + 100, 12000, 1},
		{"capacity and ttl", 2500, 2*chunkLen + 7, 8000, 1},
		{"small", 50, 40, 100, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(len(tt.name))))
			g := newGenMap[tval](tt.ttl, tt.limit)
			var dropped []uint64
			g.drop = func(v *tval) { dropped = append(dropped, v.k) }
			want := newModelMap(tt.ttl, tt.limit)
			var ev [2]uint64
			now := int64(1754006400)
			const steps = 120_000
			for step := 1; step <= steps; step++ {
				if step%tt.every == 0 {
					// The rate of new time swings, so generations differ in size.
					now += 1 + int64(step/9000%3)
				}
				g.rotate(now, &ev)
				want.rotate(now)
				k := uint64(rng.Intn(tt.keys)) + 1
				if rng.Intn(4) == 0 {
					checkPeek(t, step, &g, want, k)
					continue
				}
				p, fresh := g.getOrCreate(k, now, &ev)
				wv, wfresh := want.getOrCreate(k, now)
				if fresh != wfresh || *p != wv {
					t.Fatalf("step %d: key %d = %+v (fresh %v), want %+v (fresh %v)", step, k, *p, fresh, wv, wfresh)
				}
				*p = tval{k: k, step: uint32(step), pad: [3]uint32{uint32(step), 1, 2}}
				want.cur[k] = *p
				if step%5000 == 0 || step == steps {
					checkSame(t, step, &g, want, ev, dropped)
				}
			}
			if want.rotations < 10 {
				t.Fatalf("%d rotations: the test does not cover recycling", want.rotations)
			}
		})
	}
}

func checkPeek(t *testing.T, step int, g *genMap[tval], want *modelMap, k uint64) {
	t.Helper()
	wv, ok := want.cur[k]
	if !ok {
		wv, ok = want.old[k]
	}
	p := g.peek(k)
	if (p != nil) != ok || (ok && *p != wv) {
		t.Fatalf("step %d: peek(%d) = %v, want %+v (present %v)", step, k, p, wv, ok)
	}
}

func checkSame(t *testing.T, step int, g *genMap[tval], want *modelMap, ev [2]uint64, dropped []uint64) {
	t.Helper()
	got := map[uint64]tval{}
	g.each(func(v *tval) { got[v.k] = *v })
	if g.Len() != len(want.cur)+len(want.old) || len(got) != g.Len() {
		t.Fatalf("step %d: Len %d, each %d entries, want %d", step, g.Len(), len(got), len(want.cur)+len(want.old))
	}
	for _, gen := range []map[uint64]tval{want.cur, want.old} {
		for k, v := range gen {
			if got[k] != v {
				t.Fatalf("step %d: key %d = %+v, want %+v", step, k, got[k], v)
			}
		}
	}
	if ev != want.ev {
		t.Fatalf("step %d: evictions %v, want %v", step, ev, want.ev)
	}
	a, b := slices.Sorted(slices.Values(dropped)), slices.Sorted(slices.Values(want.dropped))
	if !slices.Equal(a, b) {
		t.Fatalf("step %d: drop called with %d entries, want %d", step, len(a), len(b))
	}
}

// allocsDuring returns the heap allocations of n calls of f. (testing.AllocsPerRun
// rounds the average down, hiding one allocation in many calls.)
func allocsDuring(n int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range n {
		f()
	}
	runtime.ReadMemStats(&b)
	return b.Mallocs - a.Mallocs
}

// TestGenMapSteadyStateAllocs: once a map has rotated a few times, inserts, touches and
// rotations (by TTL, by capacity, and both) allocate nothing: a new generation is made
// in the memory of the dropped one.
func TestGenMapSteadyStateAllocs(t *testing.T) {
	for _, tt := range []struct {
		name         string
		ttl          int64
		limit        int
		keys         int
		byTTL, byCap bool // the rotations expected
	}{
		{"ttl", 4000, 1 << 30, 30000, true, false},
		{"capacity", 1 << 40, 6 * chunkLen, 40000, false, true},
		{"capacity and ttl", 12000, 5 * chunkLen, 30000, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newGenMap[custState](tt.ttl, tt.limit)
			live := 0
			g.drop = func(*custState) { live-- }
			rng := rand.New(rand.NewSource(1))
			var ev [2]uint64
			now := int64(1754006400)
			op := func() {
				now++
				g.rotate(now, &ev)
				// Mostly a population of returning keys, some never seen again.
				k := uint64(rng.Intn(tt.keys)) + 1
				if rng.Intn(8) == 0 {
					k = rng.Uint64()
				}
				if p, fresh := g.getOrCreate(k, now, &ev); fresh {
					p.biz = 1
					live++
				}
			}
			for range 20 * tt.keys { // warm-up: many rotations
				op()
			}
			before := ev
			if n := allocsDuring(10*tt.keys, op); n != 0 {
				t.Errorf("%d allocations in %d operations after warm-up, want 0", n, 10*tt.keys)
			}
			if (ev[ReasonTTL] > before[ReasonTTL]) != tt.byTTL || (ev[ReasonCapacity] > before[ReasonCapacity]) != tt.byCap {
				t.Fatalf("evictions %v -> %v: the measured operations do not rotate as the case says", before, ev)
			}
			if live != g.Len() {
				t.Fatalf("drop hook: %d live, Len %d", live, g.Len())
			}
		})
	}
}

// TestCountsSteadyStateAllocs: a timeCounts over a sliding one-day window (gBI's), its values
// added at a rate that swings by a factor of three over each day and pruned as it
// slides, compacts its tables in place: nothing is allocated after the warm-up.
func TestCountsSteadyStateAllocs(t *testing.T) {
	var tc timeCounts
	rng := rand.New(rand.NewSource(5))
	now := uint32(1754006400)
	compactions := 0
	op := func() {
		now += 1 + uint32(rng.Intn(1+int(now/3600%24/8)*2)) // fewer values at night
		used := tc.sec.used
		tc.add(now, 1) // only adds: the table loses entries only when compacted
		if tc.sec.used < used {
			compactions++
		}
		if now%1024 == 0 {
			tc.prune((now - day) >> tcPageShift)
		}
	}
	for range 3_000_000 { // about two months of warm-up
		op()
	}
	compactions = 0
	if n := allocsDuring(1_000_000, op); n != 0 {
		t.Errorf("%d allocations in 1000000 values after warm-up, want 0", n)
	}
	if compactions < 5 {
		t.Fatalf("%d compactions while measured: the test does not cover them", compactions)
	}
}

// TestApplySteadyStateAllocs: a machine whose messages, customers and conversations
// rotate by TTL and by capacity applies a stream of inbound messages, template sends,
// deliveries and reads without allocating once it has warmed up.
func TestApplySteadyStateAllocs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxMessages, cfg.MaxCustomers, cfg.MaxConversations = 12000, 8000, 20000
	cfg.MessageTTL, cfg.CustomerTTL = 2*time.Hour, 6*time.Hour
	m := New(cfg)
	biz := [][]byte{[]byte("106540352242922"), []byte("109865431120587")}
	const ids = 4096
	custs, msgIDs := make([][]byte, 6000), make([][]byte, ids)
	for i := range custs {
		custs[i] = []byte(strconv.Itoa(5511900000000 + i))
	}
	for i := range msgIDs {
		msgIDs[i] = make([]byte, 0, 64)
	}
	rng := rand.New(rand.NewSource(9))
	t0 := int64(1754006400)
	step := 0
	var ev model.Event
	op := func() {
		step++
		msg := step / 3
		id := strconv.AppendInt(append(msgIDs[msg%ids][:0], "wamid."...), int64(msg), 10)
		c := custs[rng.Intn(len(custs))]
		if step%3 == 0 {
			c = custs[msg%len(custs)]
		}
		tm := t0 + int64(step/4)
		ev = model.Event{Kind: model.KindStatus, Business: biz[msg%2], Customer: c, MessageID: id, Time: tm,
			Category: model.CategoryMarketing, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeRegular}
		switch {
		case step%17 == 0:
			ev = model.Event{Kind: model.KindInbound, Business: biz[msg%2], Customer: c, MessageID: append(id, 'i'), Time: tm, MessageType: model.MessageTypeText}
		default:
			ev.Status = [3]model.Status{model.StatusSent, model.StatusDelivered, model.StatusRead}[step%3]
		}
		m.Apply(&ev)
	}
	for range 800_000 { // 55 hours: past the expiry of the first service windows
		op()
	}
	before := m.self.Evictions
	if n := allocsDuring(200_000, op); n != 0 {
		t.Errorf("%d allocations in 200000 events after warm-up, want 0", n)
	}
	for _, k := range []EvictKind{EvictMessage, EvictCustomer} {
		for r := range NumEvictReason {
			if m.self.Evictions[k][r] == before[k][r] {
				t.Errorf("no evictions of kind %d by reason %d while measured: the stream does not rotate as intended", k, r)
			}
		}
	}
}
