package campaign

import (
	"testing"
)

const week = 7 * day

func TestAttributeEdges(t *testing.T) {
	const A, B Ref = 1 << 8, 2 << 8
	h := []Touch{}
	h = Record(h, Touch{Time: 1000, Key: 1, Ref: A}, 4)
	h = Record(h, Touch{Time: 5000, Key: 2, Ref: B}, 4)
	cases := []struct {
		name string
		t    int64
		mode Mode
		want Ref // 0: unattributed
	}{
		{"before any delivery", 999, LastTouch, 0},
		{"at the delivery second", 1000, LastTouch, A},
		{"between: the latest at or before", 4999, LastTouch, A},
		{"two campaigns: last touch is the later", 5000, LastTouch, B},
		{"two campaigns: first touch is the earlier", 5000, FirstTouch, A},
		{"last touch: the latest is inside the window", 1000 + week, LastTouch, B},
		{"first touch: the earliest has left the window", 1000 + week, FirstTouch, B},
		{"exactly at the window's end is outside", 5000 + week, LastTouch, 0},
		{"one second before the end is inside", 5000 + week - 1, LastTouch, B},
		{"first touch at the end of both", 5000 + week, FirstTouch, 0},
	}
	for _, c := range cases {
		got, ok := Attribute(h, c.t, week, c.mode)
		if ok != (c.want != 0) || got.Ref != c.want {
			t.Errorf("%s: got %v %v, want %v", c.name, got, ok, c.want)
		}
	}
	// an untagged delivery (zero Ref) kept for its position is no touch
	h2 := Record(append([]Touch(nil), h...), Touch{Time: 6000, Key: 3}, 4)
	for _, m := range []Mode{LastTouch, FirstTouch} {
		if got, ok := Attribute(h2, 6000, week, m); !ok || got.Ref == 0 {
			t.Errorf("mode %d: an untagged delivery was credited (%v %v)", m, got, ok)
		}
	}
	if got, _ := Attribute(h2, 6000, week, LastTouch); got.Ref != B {
		t.Errorf("last touch behind an untagged delivery: %v", got)
	}
	if _, ok := Attribute(nil, 10, week, LastTouch); ok {
		t.Error("attributed with no delivery")
	}
}

// A latest delivery out of the window hides nothing older under last touch: the older
// ones are out of it too.
func TestAttributeLastTouchWindowIsTheLatests(t *testing.T) {
	h := Record(nil, Touch{Time: 0, Key: 1, Ref: 1 << 8}, 4)
	h = Record(h, Touch{Time: 10, Key: 2, Ref: 2 << 8}, 4)
	if _, ok := Attribute(h, 10+week, week, LastTouch); ok {
		t.Fatal("attributed past the latest delivery's window")
	}
}

func TestRecordOrderUpdatesAndBound(t *testing.T) {
	const A, B, C Ref = 1 << 8, 2 << 8, 3 << 8
	var h []Touch
	h = Record(h, Touch{Time: 100, Key: 1, Ref: A}, 3)
	h = Record(h, Touch{Time: 100, Key: 2, Ref: B}, 3) // same second, learned later
	if got, _ := Attribute(h, 100, week, LastTouch); got.Key != 2 {
		t.Fatalf("same second: last touch took key %d, want the later learned 2", got.Key)
	}
	if got, _ := Attribute(h, 100, week, FirstTouch); got.Key != 1 {
		t.Fatalf("same second: first touch took key %d", got.Key)
	}
	// key 1's delivered status comes after its read: a smaller time moves it
	h = Record(h, Touch{Time: 50, Key: 1}, 3)
	if len(h) != 2 || h[0].Key != 1 || h[0].Time != 50 || h[0].Ref != A {
		t.Fatalf("after the correction: %+v", h)
	}
	// a later time for a known key changes nothing but a tag learned late
	h = Record(h, Touch{Time: 900, Key: 2, Ref: C}, 3)
	if len(h) != 2 || h[1].Time != 100 || h[1].Ref != C {
		t.Fatalf("after a later status: %+v", h)
	}
	// moved to a second shared with another: it goes after it
	h = Record(h, Touch{Time: 80, Key: 3, Ref: B}, 3)
	h = Record(h, Touch{Time: 80, Key: 2}, 3)
	if h[1].Key != 3 || h[2].Key != 2 || h[2].Time != 80 {
		t.Fatalf("moved entry order: %+v", h)
	}
	// full: the oldest goes; a touch older than all is not added
	h = Record(h, Touch{Time: 10, Key: 9, Ref: A}, 3)
	if len(h) != 3 || h[0].Key != 1 {
		t.Fatalf("older than all of a full list was added: %+v", h)
	}
	h = Record(h, Touch{Time: 200, Key: 4, Ref: A}, 3)
	if len(h) != 3 || h[0].Key != 3 || h[2].Key != 4 {
		t.Fatalf("bound: %+v", h)
	}
	for i := 1; i < len(h); i++ {
		if h[i-1].Time > h[i].Time {
			t.Fatalf("unsorted: %+v", h)
		}
	}
	// Prune drops what can credit nothing at or after t
	h = Prune(h, 80+week, week)
	if len(h) != 1 || h[0].Key != 4 {
		t.Fatalf("prune: %+v", h)
	}
	if a := testing.AllocsPerRun(100, func() {
		h = Record(h, Touch{Time: 300, Key: 5, Ref: B}, 3)
		Attribute(h, 301, week, LastTouch)
		h = Prune(h, 0, week)
	}); a != 0 {
		t.Fatalf("%.1f allocations per Record+Attribute on a list at capacity", a)
	}
}

func TestModeOf(t *testing.T) {
	if ModeOf(Config{}) != LastTouch || ModeOf(Config{Attribution: "first_touch"}) != FirstTouch {
		t.Fatal("ModeOf")
	}
}
