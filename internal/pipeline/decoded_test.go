package pipeline

import (
	"reflect"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestOwnCopiesEveryByteField: every []byte field of model.Event aliases decoder memory,
// so own must copy each one (a field added to the model and forgotten here would be
// overwritten by the next line: BSUIDs once were).
func TestOwnCopiesEveryByteField(t *testing.T) {
	var ev model.Event
	v := reflect.ValueOf(&ev).Elem()
	buf := []byte("decoder-memory")
	var names []string
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Type() == reflect.TypeOf([]byte(nil)) {
			f.SetBytes(buf)
			names = append(names, v.Type().Field(i).Name)
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d []byte fields: %v", len(names), names)
	}
	var d Decoded
	d.own(&ev)
	copy(buf, "XXXXXXXXXXXXXX") // the decoder reuses its memory
	for _, n := range names {
		if got := string(v.FieldByName(n).Bytes()); got != "decoder-memory" {
			t.Errorf("%s = %q after the decoder reused its memory: own does not copy it", n, got)
		}
	}
}
