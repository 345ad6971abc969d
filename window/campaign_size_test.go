package window

import (
	"testing"
	"unsafe"
)

// The campaign tag costs a message 8 bytes (issue 16): msgState is 24 bytes without it.
func TestMessageStateSize(t *testing.T) {
	if n := unsafe.Sizeof(msgState{}); n != 32 {
		t.Fatalf("msgState is %d bytes, want 32 (24 + the 8-byte campaign reference)", n)
	}
}
