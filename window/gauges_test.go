package window

import (
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// viewTimes are the scrape times compared around the watermark w: before it, at it, just
// after, at the ends of the trailing windows, and far after.
func viewTimes(w int64) []int64 {
	return []int64{0, w - 40*day, w - day - 1, w - 1, w, w + 1, w + 59, w + 3600, w + day - 1, w + day, w + day + 1,
		w + 3*day, w + 7*day, w + 30*day, w + 31*day}
}

func checkView(t *testing.T, m *Machine, what string) {
	t.Helper()
	for _, now := range viewTimes(m.Watermark()) {
		if got, want := m.View(now), m.viewScan(now); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s, now = watermark%+d:\n got %+v\nwant %+v", what, now-m.Watermark(), got, want)
		}
	}
}

// TestViewMatchesScan: after every event of every scenario, and after restoring a
// snapshot of it, View (counts kept at apply time) equals a pass over the customers.
func TestViewMatchesScan(t *testing.T) {
	for file, sc := range loadScenarios(t) {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			m, base := scenarioMachine(t, sc)
			for i, e := range sc.Events {
				if e.Kind == "tick" {
					m.Tick(base + e.T)
				} else {
					for r := 0; r <= e.Repeat; r++ {
						ev := e.toModel(base)
						m.Apply(&ev)
					}
				}
				checkView(t, m, "event "+strconv.Itoa(i))
				m2, err := Restore(m.Config(), m.Snapshot())
				if err != nil {
					t.Fatal(err)
				}
				checkView(t, m2, "restored after event "+strconv.Itoa(i))
			}
			m.Flush()
			checkView(t, m, "flushed")
		})
	}
}

// TestViewMatchesScanRandom: random inbound messages, replies, templates (some from
// click-to-WhatsApp ads) and conversation reports over a few businesses and customers,
// with caps and TTLs small enough that customers and recipients are evicted by both;
// View equals the pass over the customers throughout.
func TestViewMatchesScanRandom(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			cfg := DefaultConfig()
			cfg.MaxCustomers = 40 + rng.Intn(200)
			cfg.CustomerTTL = time.Duration(2+rng.Intn(20)) * 24 * time.Hour
			cfg.Portfolios = []Portfolio{{Name: "p", Businesses: []string{"b0", "b1"}}}
			m := New(cfg)
			tm := int64(1754006400)
			cats := []model.Category{model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication, model.CategoryService, model.CategoryReferralConversion}
			for i := 0; i < 3000; i++ {
				tm += rng.Int63n(int64(3 * 3600))
				if rng.Intn(50) == 0 {
					tm += rng.Int63n(3 * day)
				}
				biz := []byte("b" + strconv.Itoa(rng.Intn(3)))
				cust := []byte(strconv.Itoa(5511900000000 + rng.Intn(150)))
				id := []byte("m" + strconv.Itoa(i))
				at := tm - rng.Int63n(120) // out of order within the lateness
				var ev model.Event
				switch rng.Intn(4) {
				case 0:
					ev = model.Event{Kind: model.KindInbound, Business: biz, Customer: cust, Time: at, MessageID: id, MessageType: model.MessageTypeText, Referral: rng.Intn(5) == 0}
					m.Apply(&ev)
				default:
					cat := cats[rng.Intn(len(cats))]
					ev = model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, Time: at, MessageID: id, Status: model.StatusSent, Category: cat}
					if rng.Intn(2) == 0 {
						ev.PricingModel = model.PricingModelCBP
						ev.ConversationID = []byte("c" + strconv.Itoa(rng.Intn(400)))
						ev.ConversationOrigin = cat
					}
					m.Apply(&ev)
					if rng.Intn(4) != 0 {
						ev.Status, ev.Time = model.StatusDelivered, at+rng.Int63n(30)
						m.Apply(&ev)
					}
				}
				if i%37 == 0 {
					checkView(t, m, "event "+strconv.Itoa(i))
				}
				if i%500 == 0 {
					m2, err := Restore(m.Config(), m.Snapshot())
					if err != nil {
						t.Fatal(err)
					}
					checkView(t, m2, "restored at event "+strconv.Itoa(i))
					m = m2
				}
			}
			m.Flush()
			checkView(t, m, "flushed")
			if m.self.Evictions[EvictCustomer] == [NumEvictReason]uint64{} {
				t.Fatal("no customer was evicted: the test does not cover eviction")
			}
		})
	}
}

// TestTimeCounts compares timeCounts.above with a count over a plain slice, while the
// values move up and the oldest pages are pruned.
func TestTimeCounts(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var tc timeCounts
	var vals []uint32
	t0 := uint32(1754006400)
	floor := uint32(0) // values below floor are pruned
	keep := func(v uint32) bool { return v != 0 && v >= floor }
	for i := 0; i < 6000; i++ {
		switch {
		case len(vals) > 0 && rng.Intn(3) == 0:
			j := rng.Intn(len(vals))
			nv := vals[j] + uint32(rng.Intn(40000))
			if rng.Intn(4) == 0 {
				nv = 0
			}
			tc.move(vals[j], nv)
			if keep(nv) {
				vals[j] = nv
			} else {
				vals = append(vals[:j], vals[j+1:]...)
			}
		default:
			v := t0 + uint32(i*400+rng.Intn(30*day))
			tc.move(0, v)
			if keep(v) {
				vals = append(vals, v)
			}
		}
		if i%700 == 699 {
			first := (t0 + uint32(i*400)) >> tcPageShift
			tc.prune(first)
			floor = first << tcPageShift
			vals = slices.DeleteFunc(vals, func(v uint32) bool { return !keep(v) })
		}
		if i%50 == 0 {
			ths := []int64{int64(floor), int64(t0) + int64(i*400) + rng.Int63n(30*day), 1 << 40}
			if floor == 0 {
				ths = append(ths, -1, 0)
			}
			if len(vals) > 0 {
				ths = append(ths, int64(vals[rng.Intn(len(vals))]))
			}
			for _, th := range ths {
				var want uint64
				for _, v := range vals {
					if int64(v) > th {
						want++
					}
				}
				if got := tc.above(th); got != want {
					t.Fatalf("step %d: above(%d) = %d, want %d", i, th, got, want)
				}
			}
		}
	}
	if floor == 0 {
		t.Fatal("nothing was pruned")
	}
}

// TestCounts compares a counts table with a map under random bumps (counts falling to
// 0 are deleted, shifting later entries back) and dead keys dropped at compaction, for
// key patterns that probe the slot layout: consecutive keys (one run of eight per
// group), keys sharing their low three bits, and keys spread at random.
func TestCounts(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  func(rng *rand.Rand, i int) uint32
	}{
		{"consecutive", func(rng *rand.Rand, i int) uint32 { return 1754006400 + uint32(i/3+rng.Intn(200)) }},
		{"same low bits", func(rng *rand.Rand, i int) uint32 { return uint32(rng.Intn(4000)) << 3 }},
		{"spread", func(rng *rand.Rand, i int) uint32 { return rng.Uint32() % 1e6 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			var c counts
			want := map[uint32]int32{}
			for i := 0; i < 30000; i++ {
				k := tt.key(rng, i)
				if k < c.low { // timeCounts never bumps a dead key
					continue
				}
				d := int32(1)
				if n, ok := want[k]; ok && rng.Intn(2) == 0 {
					d = -min(n, int32(1+rng.Intn(2)))
				}
				c.bump(k, d)
				if want[k] += d; want[k] == 0 {
					delete(want, k)
				}
				if i%5000 == 4999 { // the keys below the median die
					keys := make([]uint32, 0, len(want))
					for k := range want {
						keys = append(keys, k)
					}
					slices.Sort(keys)
					c.low = keys[len(keys)/2]
					c.compact()
					for _, k := range keys[:len(keys)/2] {
						delete(want, k)
					}
				}
				if i%997 == 0 || i%5000 == 4999 {
					got := map[uint32]int32{}
					c.each(func(k uint32, n int32) { got[k] = n })
					if !reflect.DeepEqual(got, want) || c.used != len(want) {
						t.Fatalf("step %d: table has %d keys (used %d), want %d; equal: %v", i, len(got), c.used, len(want), reflect.DeepEqual(got, want))
					}
					for k, n := range want {
						if c.get(k) != n {
							t.Fatalf("step %d: get(%d) = %d, want %d", i, k, c.get(k), n)
						}
					}
				}
			}
		})
	}
}
