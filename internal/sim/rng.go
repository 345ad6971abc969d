package sim

import (
	"math"
	"math/rand/v2"
)

// rng is a seeded PCG stream with distributions written here, so that the sequence for a
// seed does not depend on the standard library's choice of sampling algorithms.
type rng struct{ p rand.PCG }

func newRNG(seed int64, stream uint64) rng {
	var r rng
	r.p.Seed(uint64(seed), stream^0x9e3779b97f4a7c15)
	return r
}

func (r *rng) u64() uint64 { return r.p.Uint64() }

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.p.Uint64()>>11) * (1.0 / (1 << 53)) }

// intn returns a value in [0, n); n must be > 0. The modulo bias is below 2^-40 for the
// small n used here.
func (r *rng) intn(n int) int { return int(r.p.Uint64()>>1) % n }

func (r *rng) uniform(a, b float64) float64 { return a + (b-a)*r.float() }

func (r *rng) chance(p float64) bool { return r.float() < p }

// exp returns an exponentially distributed value with the given mean.
func (r *rng) exp(mean float64) float64 { return -mean * math.Log(1-r.float()) }

// norm returns a standard normal value (Box-Muller, one of the pair).
func (r *rng) norm() float64 {
	u := 1 - r.float()
	v := r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// lognorm returns exp(N(ln(median), sigma)).
func (r *rng) lognorm(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.norm())
}

// pick returns an index drawn with the given weights (not necessarily normalized).
func (r *rng) pick(w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	u := r.float() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// digits appends k random decimal digits.
func (r *rng) digits(dst []byte, k int) []byte {
	for range k {
		dst = append(dst, byte('0'+r.intn(10)))
	}
	return dst
}
