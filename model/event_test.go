package model

import (
	"reflect"
	"testing"
	"unsafe"
)

// Every []byte field of Event is in ByteFields, once: a consumer that copies them all
// (the pipeline) cannot miss one added later.
func TestByteFieldsComplete(t *testing.T) {
	var e Event
	listed := map[uintptr]bool{}
	for _, p := range e.ByteFields() {
		off := uintptr(unsafe.Pointer(p)) - uintptr(unsafe.Pointer(&e))
		if listed[off] {
			t.Fatalf("field at offset %d listed twice", off)
		}
		listed[off] = true
	}
	typ := reflect.TypeOf(e)
	n := 0
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Type != reflect.TypeOf([]byte(nil)) {
			continue
		}
		n++
		if !listed[f.Offset] {
			t.Errorf("Event.%s is a []byte field missing from ByteFields", f.Name)
		}
	}
	if n != len(listed) {
		t.Fatalf("%d []byte fields, %d listed", n, len(listed))
	}
}

func TestKindAndProviderNames(t *testing.T) {
	for k := KindNone; k < NumKind; k++ {
		if k.String() == "" || (k != KindOther && k.String() == "other") {
			t.Errorf("kind %d has no name of its own: %q", k, k.String())
		}
	}
	if KindConversion.String() != "conversion" || ProviderBusiness.String() != "business" {
		t.Fatalf("%q %q", KindConversion, ProviderBusiness)
	}
	if len(kindNames) != int(NumKind) {
		t.Fatalf("%d kind names for %d kinds", len(kindNames), NumKind)
	}
}
