package main

import (
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	status2 := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent"},{"id":"b","status":"read"}]},"field":"messages"}]}]}`
	inbound := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messages":[{"id":"c","type":"text"}]},"field":"messages"}]}]}`
	twoEntries := `{"entry":[{"changes":[{"value":{"statuses":[{"id":"d"}]}}]},{"changes":[{"value":{"statuses":[{"id":"e"}],"messages":[{"id":"f"}]}}]}]}`
	for _, tc := range []struct {
		name string
		in   string
		want counts
	}{
		{"statuses and messages", status2 + "\n" + inbound + "\n", counts{lines: 2, bytes: int64(len(status2) + len(inbound) + 2), statuses: 2, messages: 1}},
		{"several entries", twoEntries + "\n", counts{lines: 1, bytes: int64(len(twoEntries) + 1), statuses: 2, messages: 1}},
		{"invalid and empty lines", "{not json\n\n" + inbound, counts{lines: 3, bytes: int64(len("{not json") + 1 + 1 + len(inbound) + 1), messages: 1, errors: 1}},
		{"long line", `{"pad":"` + strings.Repeat("x", 2<<20) + `"}` + "\n", counts{lines: 1, bytes: 2<<20 + 11}},
	} {
		// Both parsers count the same: the encoding/json baseline does the same work.
		for _, p := range []struct {
			name  string
			parse func([]byte, *counts) error
		}{{"fastjson", parseFast()}, {"encoding/json", parseStdlib}} {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				var got counts
				if err := count(strings.NewReader(tc.in), &got, p.parse); err != nil {
					t.Fatal(err)
				}
				if got != tc.want {
					t.Errorf("counts = %+v, want %+v", got, tc.want)
				}
			})
		}
	}
}
