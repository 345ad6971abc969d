package model_test

import (
	"fmt"

	"github.com/waba-exporter/waba_exporter/model"
)

// Decoders map each provider's words onto the bounded vocabulary, whatever their case;
// a word outside it is the None value, which a decoder reports as an error or ignores.
func ExampleParseStatus() {
	for _, s := range []string{"delivered", "READ", "enqueued", "lost"} {
		st := model.ParseStatus([]byte(s))
		fmt.Printf("%s -> %v (known: %t)\n", s, st, st != model.StatusNone)
	}
	// Output:
	// delivered -> delivered (known: true)
	// READ -> read (known: true)
	// enqueued -> accepted (known: true)
	// lost -> none (known: false)
}

// An Event's []byte fields alias the decoder's memory. A consumer that keeps an event
// past the decoder's next call copies them, all at once, through ByteFields.
func ExampleEvent_ByteFields() {
	decoderMemory := []byte("770000000000002wamid.A")
	ev := model.Event{Kind: model.KindStatus, Status: model.StatusSent,
		Business: decoderMemory[:15], MessageID: decoderMemory[15:]}

	var arena []byte
	for _, f := range ev.ByteFields() {
		if len(*f) > 0 {
			start := len(arena)
			arena = append(arena, *f...)
			*f = arena[start:len(arena):len(arena)]
		}
	}
	copy(decoderMemory, "XXXXXXXXXXXXXXXXXXXXXX") // the decoder moves on to the next line
	fmt.Println(ev.Kind, ev.Status, string(ev.Business), string(ev.MessageID))
	// Output:
	// status sent 770000000000002 wamid.A
}
