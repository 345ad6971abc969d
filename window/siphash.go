package window

import (
	"encoding/binary"
	"math/bits"
)

// Customer, message and conversation ids are kept only as keyed 64-bit hashes:
// SipHash-2-4 (Aumasson and Bernstein) with the 128-bit key (Config.HashKey,
// Config.HashKey2). SipHash is a pseudo-random function: without the key, a hash says
// nothing about the id, and a guessed phone number cannot be checked against it. The key
// is never part of a snapshot; a snapshot holds only keyCheck, a hash of a constant under
// the key, so that Restore can refuse a snapshot taken with another key.

const (
	sipC0 = 0x736f6d6570736575
	sipC1 = 0x646f72616e646f6d
	sipC2 = 0x6c7967656e657261
	sipC3 = 0x7465646279746573
)

// sipHash24 returns SipHash-2-4 of p under the key (k0, k1). It does not allocate.
func sipHash24(k0, k1 uint64, p []byte) uint64 {
	v0, v1, v2, v3 := k0^sipC0, k1^sipC1, k0^sipC2, k1^sipC3
	last := uint64(len(p)) << 56
	for len(p) >= 8 {
		m := binary.LittleEndian.Uint64(p)
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
		p = p[8:]
	}
	for i := len(p) - 1; i >= 0; i-- {
		last |= uint64(p[i]) << (8 * uint(i))
	}
	v3 ^= last
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= last
	v2 ^= 0xff
	for i := 0; i < 4; i++ {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// keyCheck identifies the key without revealing it (stored in snapshots).
func (c *Config) keyCheck() uint64 {
	return sipHash24(c.HashKey, c.HashKey2, []byte("waba_exporter hash key check v1"))
}

// hashParts hashes the parts joined by a zero byte (ids never contain one), through the
// machine's scratch buffer.
func (m *Machine) hashParts(parts [][]byte) uint64 {
	b := m.hbuf[:0]
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	m.hbuf = b
	return sipHash24(m.cfg.HashKey, m.cfg.HashKey2, b)
}
