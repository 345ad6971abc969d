package campaign

import (
	"fmt"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

const day = 86400

func mustTable(t testing.TB, c Config) *Table {
	t.Helper()
	tb, err := NewTable(c)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func labels(t *testing.T, tb *Table, r Ref) string {
	t.Helper()
	c, v, ok := tb.Resolve(r)
	if !ok {
		return "-"
	}
	return c + "/" + v
}

func TestTableTagAndResolve(t *testing.T) {
	tb := mustTable(t, Config{})
	type step struct {
		raw  string
		want string // campaign/variant, or "-" for no Ref
		o    Outcome
	}
	steps := []step{
		{"campaign=spring;variant=A", "spring/A", Tagged},
		{"campaign=spring;variant=B", "spring/B", Tagged},
		{"variant=A;campaign=spring", "spring/A", Tagged},
		{"campaign=spring", "spring/none", Tagged},
		{"order-17", "-", NoTag},
		{"", "-", NoTag},
		{"campaign=x\x00", "-", Refused},
	}
	refs := map[string]Ref{}
	for i, s := range steps {
		r, o := tb.Tag([]byte(s.raw), 1000)
		if got := labels(t, tb, r); got != s.want || o != s.o {
			t.Fatalf("step %d %q: %s %v, want %s %v", i, s.raw, got, o, s.want, s.o)
		}
		if prev, ok := refs[s.want]; ok && s.want != "-" && prev != r {
			t.Fatalf("step %d: the same labels gave another Ref", i)
		}
		refs[s.want] = r
	}
	if st := tb.Stats(); st.Tagged != 4 || st.NoTag != 2 || st.Refused != 1 || st.CampaignOverflow != 0 {
		t.Fatalf("stats %+v", st)
	}
	if tb.Len() != 1 {
		t.Fatalf("Len %d", tb.Len())
	}
	if _, _, ok := tb.Resolve(0); ok {
		t.Fatal("the zero Ref resolves")
	}
}

// The first N campaigns (and variants per campaign) are kept; the rest fold into other.
func TestTableCaps(t *testing.T) {
	tb := mustTable(t, Config{MaxCampaigns: 2, MaxVariants: 2})
	got := []string{}
	for _, raw := range []string{
		"campaign=a;variant=A", "campaign=b;variant=A", "campaign=c;variant=A", "campaign=d;variant=Z",
		"campaign=a;variant=B", "campaign=a;variant=C", "campaign=a;variant=D", "campaign=a;variant=A",
	} {
		r, _ := tb.Tag([]byte(raw), 5)
		got = append(got, labels(t, tb, r))
	}
	want := []string{"a/A", "b/A", "other/A", "other/Z", "a/B", "a/other", "a/other", "a/A"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if st := tb.Stats(); st.CampaignOverflow != 2 || st.VariantOverflow != 2 {
		t.Fatalf("stats %+v", st)
	}
	var ls []Label
	ls = tb.Labels(ls)
	var names []string
	for _, l := range ls {
		names = append(names, l.Campaign+"/"+l.Variant)
		if c, v, ok := tb.Resolve(l.Ref); !ok || c != l.Campaign || v != l.Variant {
			t.Fatalf("label %v does not resolve to itself", l)
		}
	}
	if want := []string{"a/A", "a/B", "a/other", "b/A", "other/A", "other/Z"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("Labels %v, want %v", names, want)
	}
}

func TestTableAllowlists(t *testing.T) {
	tb := mustTable(t, Config{Campaigns: []string{"spring", "winback"}, Variants: []string{"A", "B"}})
	got := []string{}
	for _, raw := range []string{"campaign=spring;variant=A", "campaign=summer;variant=A", "campaign=winback;variant=C", "campaign=spring"} {
		r, _ := tb.Tag([]byte(raw), 5)
		got = append(got, labels(t, tb, r))
	}
	if want := []string{"spring/A", "other/A", "winback/other", "spring/other"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if st := tb.Stats(); st.CampaignOverflow != 1 || st.VariantOverflow != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// Expiry by event time: last + expire_after <= now drops a campaign, frees its slot for
// the next one, and old Refs stop resolving even when the slot is reused.
func TestTableExpiry(t *testing.T) {
	tb := mustTable(t, Config{MaxCampaigns: 1, ExpireAfter: 30 * 24 * time.Hour})
	ra, _ := tb.Tag([]byte("campaign=a;variant=A"), 100)
	if !tb.Touch(ra, 10*day) {
		t.Fatal("Touch of a live Ref")
	}
	if left := tb.Expire(40*day-1, nil); len(left) != 0 {
		t.Fatalf("expired early: %v", left)
	}
	rb, _ := tb.Tag([]byte("campaign=b"), 40*day-1) // beyond the cap: other
	if labels(t, tb, rb) != "other/none" {
		t.Fatalf("b is %s", labels(t, tb, rb))
	}
	left := tb.Expire(40*day, nil) // a's last event was at 10 days: exactly 30 days ago
	if !reflect.DeepEqual(left, []string{"a"}) {
		t.Fatalf("left %v", left)
	}
	if _, _, ok := tb.Resolve(ra); ok || tb.Touch(ra, 41*day) {
		t.Fatal("an expired Ref still resolves")
	}
	rc, _ := tb.Tag([]byte("campaign=c;variant=A"), 41*day) // a's slot is free again
	if labels(t, tb, rc) != "c/A" || labels(t, tb, ra) != "-" || rc.slot() != ra.slot() {
		t.Fatalf("c %s (slot %d), a %s (slot %d)", labels(t, tb, rc), rc.slot(), labels(t, tb, ra), ra.slot())
	}
	ra2, _ := tb.Tag([]byte("campaign=a;variant=A"), 41*day) // a comes back: over the cap now
	if labels(t, tb, ra2) != "other/A" {
		t.Fatalf("a again: %s", labels(t, tb, ra2))
	}
	left = tb.Expire(100*day, left[:0])
	if len(left) != 2 || tb.Len() != 0 || tb.Stats().Expired != 3 {
		t.Fatalf("left %v, Len %d, stats %+v", left, tb.Len(), tb.Stats())
	}
}

// Tagging a message with an already interned tag allocates nothing.
func TestTableHotPathZeroAllocs(t *testing.T) {
	tb := mustTable(t, Config{})
	raw := []byte("campaign=spring_sale;variant=B")
	r, _ := tb.Tag(raw, 1)
	if a := testing.AllocsPerRun(500, func() {
		if got, _ := tb.Tag(raw, 2); got != r {
			panic("other Ref")
		}
		tb.Touch(r, 3)
		tb.Resolve(r)
	}); a != 0 {
		t.Fatalf("%.1f allocations per Tag+Touch+Resolve", a)
	}
}

func BenchmarkTagInterned(b *testing.B) {
	tb := mustTable(b, Config{})
	raws := make([][]byte, 0, 40)
	for c := 0; c < 20; c++ {
		for _, v := range []string{"A", "B"} {
			raws = append(raws, []byte(fmt.Sprintf("campaign=campaign_%02d;variant=%s", c, v)))
		}
	}
	for _, raw := range raws {
		tb.Tag(raw, 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.Tag(raws[i%len(raws)], int64(i))
	}
}

func TestNames(t *testing.T) {
	n := NewNames(2)
	var got []string
	for _, s := range []string{"purchase", " purchase ", "signup", "refund", "bad\x00", "other", "signup"} {
		got = append(got, n.Label([]byte(s)))
	}
	if want := []string{"purchase", "purchase", "signup", "other", "other", "other", "signup"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if n.Overflow != 2 || n.Refused != 1 || !reflect.DeepEqual(n.Kept(), []string{"purchase", "signup"}) {
		t.Fatalf("overflow %d refused %d kept %v", n.Overflow, n.Refused, n.Kept())
	}
	b := []byte("purchase")
	if a := testing.AllocsPerRun(100, func() { n.Label(b) }); a != 0 {
		t.Fatalf("%.1f allocations", a)
	}
}

// The state a message and a customer pay for a tag (issue 16: at most 8 bytes per
// in-flight message).
func TestSizes(t *testing.T) {
	if s := unsafe.Sizeof(Ref(0)); s != 8 {
		t.Fatalf("Ref is %d bytes", s)
	}
	if s := unsafe.Sizeof(Touch{}); s != 24 {
		t.Fatalf("Touch is %d bytes", s)
	}
}

func TestTableStateRoundTrip(t *testing.T) {
	a, err := NewTable(Config{MaxCampaigns: 2})
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := a.Tag([]byte("campaign=spring;variant=B"), 100)
	a.Tag([]byte("campaign=x;variant=A"), 100)
	a.Tag([]byte("campaign=y;variant=A"), 100) // overflow into other
	a.Expire(100+int64(DefaultExpireAfter.Seconds()), nil)
	r2, _ := a.Tag([]byte("campaign=summer;variant=A"), 3e6)
	b, _ := NewTable(Config{MaxCampaigns: 2})
	b.SetState(a.State())
	if _, _, ok := b.Resolve(r1); ok {
		t.Fatal("expired ref resolves after restore")
	}
	c, v, ok := b.Resolve(r2)
	if !ok || c != "summer" || v != "A" {
		t.Fatalf("resolve after restore: %q %q %v", c, v, ok)
	}
	if b.Stats() != a.Stats() || b.Len() != a.Len() {
		t.Fatalf("stats %+v %+v len %d %d", b.Stats(), a.Stats(), b.Len(), a.Len())
	}
	r3, _ := b.Tag([]byte("campaign=summer;variant=A"), 3e6+1)
	if r3 != r2 {
		t.Fatalf("re-intern after restore: %x != %x", r3, r2)
	}
}
