package window

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// TestRestoreErrors: a snapshot that cannot be used is an error, never a panic and
// never a machine; the error says why.
func TestRestoreErrors(t *testing.T) {
	snap := fuzzSnapshot()
	other := fuzzConfig()
	other.HashKey++
	withVersion := func(v uint32) []byte {
		b := append([]byte(nil), snap...)
		binary.LittleEndian.PutUint32(b, v)
		return b
	}
	// A count beyond the bytes left: the business count (after version, key check,
	// watermark and frontier).
	badCount := append([]byte(nil), snap...)
	binary.LittleEndian.PutUint32(badCount[4+8+8+8:], 1<<30)
	tests := []struct {
		name string
		cfg  Config
		data []byte
		want string
	}{
		{"empty", fuzzConfig(), nil, "corrupt snapshot: short snapshot"},
		{"version only", fuzzConfig(), snap[:4], "corrupt snapshot: short snapshot"},
		{"other version", fuzzConfig(), withVersion(snapshotVersion - 1), fmt.Sprintf("snapshot version %d, want %d", snapshotVersion-1, snapshotVersion)},
		{"other hash key", other, snap, "another hash key"},
		{"truncated in the header", fuzzConfig(), snap[:20], "corrupt snapshot: short snapshot"},
		{"truncated in the middle", fuzzConfig(), snap[:len(snap)/2], "corrupt snapshot"},
		{"truncated by one byte", fuzzConfig(), snap[:len(snap)-1], "corrupt snapshot"},
		{"count beyond the input", fuzzConfig(), badCount, "a count beyond the bytes left"},
		{"trailing bytes", fuzzConfig(), append(append([]byte(nil), snap...), 0, 0, 0), "3 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Restore(tt.cfg, tt.data)
			if err == nil || m != nil {
				t.Fatalf("Restore = %v, %v; want no machine and an error", m, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := Restore(fuzzConfig(), snap); err != nil {
		t.Fatalf("the intact snapshot: %v", err)
	}
}
