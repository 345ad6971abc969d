// Package webhook turns one logged webhook body (one line) into normalized events
// (docs/spec.md 3.4), whatever the provider that sent it. The events are model.Event
// values: their types and vocabulary (kinds, statuses, categories, ...) live in package
// model, which the state machine (package window) shares without importing this one.
//
// A Decoder, made by NewDecoder with Options, decodes one line per call to Decode.
//
// # Contract
//
//   - Decoders never allocate per event on the hot path: the Event values and every []byte
//     field they hold point into the decoder's own buffers and are valid only until the next
//     call to Decode on the same Decoder. A consumer that keeps anything must copy it (the
//     window package keeps only keyed hashes of customer and message ids). After warm-up,
//     decoding a Meta status or inbound webhook allocates nothing (TestDecodeStatusZeroAllocs).
//   - Decoders know nothing of metrics, files or clocks; the caller passes the receive time,
//     the event time of bodies that carry none (Twilio, value-level errors, account-level
//     changes without entry.time). An envelope's receive-time field replaces it.
//   - A line may yield events and an error at once (one of three statuses is bad): the
//     good parts are returned, the first problem is reported, the caller counts it once.
//   - Decode's error is nil or a static *ParseError (get it with errors.As) carrying a
//     bounded Reason and a fixed detail, never payload content, so it can be logged and
//     used as a label without leaking customer data. Bad input of any kind (invalid
//     JSON, binary, truncated lines, absurd timestamps, unknown shapes) is an error, never
//     a panic (fuzzed).
//   - Event.Field is always one of Fields(), a fixed set of static strings. A change with
//     three statuses gives three events; Decoder.ChangeFields lists the changes themselves
//     (for waba_exporter_events_total{field}, which counts changes).
//
// # Formats and detection
//
// With Options.Format == FormatAuto every line is classified on its own, from one pass
// over its top-level keys after the single JSON parse (or, for a line that does not start
// with '{' or '[', from its bytes looking like a form body). Nothing is parsed twice;
// a shape that fits no decoder is ReasonUnknownFormat. A JSON envelope (Options.Envelope)
// is unwrapped first; its body may be an object, a JSON string or a form string.
//
//	format    recognised by                                      times
//	meta      a top-level object (whatsapp_business_account,     unix s (string or number;
//	          else unknown_format), or entry[] holding an         > 1e12 read as ms)
//	          object with changes, or a bare entry {changes[]};
//	          360dialog passes it through; Gupshup v3 adds
//	          gs_app_id and gs_id
//	onprem    top-level statuses[] holding an item with id or    unix s
//	          recipient_id, messages[] with id or from, or
//	          contacts[] with wa_id
//	twilio    form body with MessageSid/SmsSid/MessageStatus/    none: receive time
//	          SmsStatus
//	gupshup   v2 {app, type, payload}: message-event, message,   ms envelope, s payload.ts
//	          billing-event, user-event
//	infobip   {results[]} empty or with messageId or             ISO-8601 with offset
//	          status.groupName, or {messageTemplateId, change}
//
// Detection goes by these markers, not by key names alone: other providers' bodies that
// share a name (Sinch's top-level statuses[] of message_id/recipient items, a results[]
// of another shape) are ReasonUnknownFormat, never ReasonMissingField.
//
// # The Meta fast path
//
// A Cloud API `messages` webhook (statuses or inbound messages, raw line, format auto or
// meta: over 99% of real traffic) is first read by a single-pass scanner specialised for
// that shape (metafast.go), which skips fastjson's tree, and the lazy unescaping of every
// key and string, altogether. It takes a line only when it can prove the result equal to
// the general path's (strict subset of fastjson's syntax, no escaped key or kept value,
// no repeated key it reads, the usual value types, no error); on anything else it leaves
// no trace and the line goes through the general path above. Tests compare both paths on
// the published payloads, generated and simulated logs, and under fuzzing.
//
// # Business identity
//
// Event.Business is the business side of the conversation, the key the state machine and
// the phone_number_id label use. Each provider names it differently:
//
//	provider          Event.Business                                 Event.Customer
//	Meta, 360dialog   value.metadata.phone_number_id                 recipient_id / from / wa_id;
//	                                                                 BSUID in CustomerUserID
//	Gupshup v3        value.metadata.phone_number_id (Meta shape)    recipient_id / from
//	On-Premises       Options.Business (the body names none)         recipient_id / from
//	Twilio            the business whatsapp: number, without         the other whatsapp: number
//	                  "whatsapp:+": From of a status, To of an
//	                  inbound message
//	Gupshup v2        the app name (top-level "app")                 destination / source
//	Infobip           the registered business number: `to` of        `to` of a delivery report,
//	                  inbound messages and seen reports; delivery    `from` of inbound and seen
//	                  reports and template events name none, so
//	                  Options.Business
//
// A Meta customer is a phone number (Customer) and/or a business-scoped user id
// (CustomerUserID: from_user_id, recipient_user_id, user_id), completed from the change
// value's contacts[], which also give CustomerCountry (identity.go, docs/spec.md 4.9).
//
// Account-level Meta changes (phone_number_quality_update, message_template_status_update,
// account_update, business_capability_update) carry no phone_number_id: Business is
// Options.Business (or empty), Account is entry.id, and a quality update carries the
// display number in DisplayNumber for the consumer to map. Numbers are E.164 digits
// without "+", as Meta's wa_id.
//
// # Campaign tags and conversions
//
// A status's biz_opaque_callback_data (Meta, 360dialog, Gupshup v3; Infobip's callbackData)
// is Event.CampaignTag, raw and bounded (model.MaxCampaignTagBytes; longer: the status is
// kept untagged and the line reports ReasonTagTooLong). Package campaign interprets it. A
// line {"waba_conversion": {...}} of any log is a model.KindConversion event (conversion.go,
// docs/conversions.md); a malformed one is ReasonBadConversion.
//
// Provider statuses and error codes are mapped onto ours and the original code is kept
// (ErrorCode when numeric, else ErrorCodeRaw). What a provider does not report and a
// decoder fills in is marked PricingInferred. PROVIDERS.md has the full table.
package webhook
