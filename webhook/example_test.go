package webhook_test

import (
	"errors"
	"fmt"

	"github.com/waba-exporter/waba_exporter/webhook"
)

// A Cloud API status webhook, one line of a receiver's log, gives one event per status.
// The events and their []byte fields belong to the decoder until its next Decode: copy
// what you keep.
func ExampleDecoder_Decode() {
	line := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"880000000000001","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"770000000000002"},"statuses":[` +
		`{"id":"wamid.A","status":"delivered","timestamp":"1751500001","recipient_id":"5511900000002","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}},` +
		`{"id":"wamid.B","status":"read","timestamp":"1751500002","recipient_id":"5511900000003"}]}}]}]}`)

	d := webhook.NewDecoder(webhook.Options{})
	events, err := d.Decode(line, 0)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	for _, ev := range events {
		fmt.Println(ev.Provider, ev.Kind, ev.Status, string(ev.Business), string(ev.MessageID), ev.Time, ev.PricingModel, ev.Category)
	}
	fmt.Println("changes:", d.ChangeFields())
	// Output:
	// meta status delivered 770000000000002 wamid.A 1751500001 PMP utility
	// meta status read 770000000000002 wamid.B 1751500002 none none
	// changes: [messages]
}

// With Options.Format left at FormatAuto, every line is classified on its own: a line
// that is not JSON but a form body is read as a Twilio callback. Twilio bodies carry no
// time, so the event time is the receive time passed to Decode.
func ExampleDecoder_Decode_twilio() {
	line := []byte("MessageStatus=undelivered&ErrorCode=63016&MessageSid=SM1" +
		"&To=whatsapp%3A%2B5511900000009&From=whatsapp%3A%2B14150000001")

	d := webhook.NewDecoder(webhook.Options{})
	events, err := d.Decode(line, 1752000000)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	ev := events[0]
	fmt.Println(ev.Provider, ev.Kind, ev.Status, ev.ErrorCode, ev.Time)
	fmt.Println("business", string(ev.Business), "customer", string(ev.Customer))
	// Output:
	// twilio status failed 63016 1752000000
	// business 14150000001 customer 5511900000009
}

// A line that cannot be decoded gives a *ParseError: a bounded Reason (the `reason`
// label of waba_exporter_parse_errors_total) and a fixed detail, never payload content.
// A line may also yield good events and an error at once.
func ExampleParseError() {
	d := webhook.NewDecoder(webhook.Options{})
	for _, line := range []string{
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[` +
			`{"id":"wamid.A","status":"sent","timestamp":"1751500000"},{"id":"wamid.B","status":"sent","timestamp":"yesterday"}]}}]}]}`,
		`{"hello":"world"}`,
		`not json`,
	} {
		events, err := d.Decode([]byte(line), 0)
		var perr *webhook.ParseError
		if errors.As(err, &perr) {
			fmt.Printf("events: %d, reason %s: %v\n", len(events), perr.Reason, perr)
		}
	}
	// Output:
	// events: 1, reason bad_timestamp: webhook: bad_timestamp: statuses[].timestamp
	// events: 0, reason unknown_format: webhook: unknown_format: no known provider shape
	// events: 0, reason invalid_json: webhook: invalid_json: not a JSON object or form body
}
