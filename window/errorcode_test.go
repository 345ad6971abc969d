package window

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

func TestErrorCodeSafe(t *testing.T) {
	for _, tc := range []struct {
		code int64
		raw  string
		want bool
	}{
		{0, "", true}, // no code: "none"
		{131026, "", true},
		{999999, "", true},
		{1000000, "", false},
		{4915112345678, "", false},
		{-1, "", false},
		{0, "EXPIRED", true},
		{0, "ec_unknown_subscriber", true},
		{0, "+4915112345678", false},
		{0, "Hello John", false},
		{0, "expired but longer than any name in the table, thirty-two+", false},
	} {
		ev := &model.Event{ErrorCode: tc.code, ErrorCodeRaw: []byte(tc.raw)}
		if got := errorCodeSafe(ev); got != tc.want {
			t.Errorf("errorCodeSafe(%d, %q) = %v, want %v", tc.code, tc.raw, got, tc.want)
		}
	}
}
