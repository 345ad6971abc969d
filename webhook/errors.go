package webhook

// Reason is the bounded cause of a rejected line; its String is the `reason` label of
// waba_exporter_parse_errors_total.
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonInvalidJSON
	ReasonUnknownFormat
	ReasonLineTooLong
	ReasonUnexpectedObject
	ReasonMissingField
	ReasonBadTimestamp
	ReasonUnknownStatus
	// ReasonTagTooLong: a status's biz_opaque_callback_data is longer than
	// model.MaxCampaignTagBytes. The status is decoded without its tag (counted untagged);
	// the line reports this reason once.
	ReasonTagTooLong
	// ReasonBadConversion: a conversion line ({"waba_conversion": ...}) that is not one
	// (docs/conversions.md): no phone_number_id or customer, a value that is not a finite
	// number >= 0, a currency that is not an ISO 4217 code, a missing or absurd timestamp.
	// The line yields no event.
	ReasonBadConversion
	NumReason
)

var reasonNames = [...]string{"none", "invalid_json", "unknown_format", "line_too_long", "unexpected_object", "missing_field", "bad_timestamp", "unknown_status", "tag_too_long", "bad_conversion"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown_format"
}

// Reasons lists every reason, for pre-initialising label grids.
func Reasons() []Reason {
	out := make([]Reason, 0, NumReason-1)
	for r := ReasonInvalidJSON; r < NumReason; r++ {
		out = append(out, r)
	}
	return out
}

// ParseError is a line (or part of one) that could not be decoded. It carries no payload
// content: safe to log.
type ParseError struct {
	Reason Reason
	// Detail is a static, content-free description (e.g. "statuses[].timestamp").
	Detail string
}

func (e *ParseError) Error() string {
	if e.Detail == "" {
		return "webhook: " + e.Reason.String()
	}
	return "webhook: " + e.Reason.String() + ": " + e.Detail
}

// The errors Decode returns. They are static and shared: never modify one. Details name
// the piece of the shape that was wrong, never a value from the payload.
var (
	errInvalidJSON    = &ParseError{Reason: ReasonInvalidJSON, Detail: "not a JSON object or form body"}
	errNotObject      = &ParseError{Reason: ReasonUnexpectedObject, Detail: "body is a JSON value but not an object"}
	errUnknownFormat  = &ParseError{Reason: ReasonUnknownFormat, Detail: "no known provider shape"}
	errLineTooLong    = &ParseError{Reason: ReasonLineTooLong, Detail: "line longer than MaxLineBytes"}
	errEnvelopeBody   = &ParseError{Reason: ReasonUnexpectedObject, Detail: "envelope body is neither an object nor a string"}
	errEnvelopeEmpty  = &ParseError{Reason: ReasonMissingField, Detail: "envelope body is empty"}
	errWrongObject    = &ParseError{Reason: ReasonUnknownFormat, Detail: "object is not whatsapp_business_account"}
	errEntry          = &ParseError{Reason: ReasonMissingField, Detail: "entry[]"}
	errEntryType      = &ParseError{Reason: ReasonUnexpectedObject, Detail: "entry[] item is not an object"}
	errChanges        = &ParseError{Reason: ReasonMissingField, Detail: "entry[].changes[]"}
	errChangeType     = &ParseError{Reason: ReasonUnexpectedObject, Detail: "changes[] item is not an object"}
	errChangeValue    = &ParseError{Reason: ReasonMissingField, Detail: "changes[].value"}
	errArrayType      = &ParseError{Reason: ReasonUnexpectedObject, Detail: "statuses/messages/errors is not an array of objects"}
	errStatusID       = &ParseError{Reason: ReasonMissingField, Detail: "statuses[].id"}
	errStatusStatus   = &ParseError{Reason: ReasonMissingField, Detail: "statuses[].status"}
	errStatusUnknown  = &ParseError{Reason: ReasonUnknownStatus, Detail: "statuses[].status"}
	errStatusTimeMiss = &ParseError{Reason: ReasonMissingField, Detail: "statuses[].timestamp"}
	errStatusTimeBad  = &ParseError{Reason: ReasonBadTimestamp, Detail: "statuses[].timestamp"}
	errMsgID          = &ParseError{Reason: ReasonMissingField, Detail: "messages[].id"}
	errMsgFrom        = &ParseError{Reason: ReasonMissingField, Detail: "messages[].from and from_user_id"}
	errMsgTimeMiss    = &ParseError{Reason: ReasonMissingField, Detail: "messages[].timestamp"}
	errMsgTimeBad     = &ParseError{Reason: ReasonBadTimestamp, Detail: "messages[].timestamp"}
	errPrefWaID       = &ParseError{Reason: ReasonMissingField, Detail: "user_preferences[].wa_id and user_id"}
	errPrefValue      = &ParseError{Reason: ReasonUnknownStatus, Detail: "user_preferences[].value"}
	errPrefTimeBad    = &ParseError{Reason: ReasonBadTimestamp, Detail: "user_preferences[].timestamp"}
	errEventMissing   = &ParseError{Reason: ReasonMissingField, Detail: "value.event"}
	errValueErrorCode = &ParseError{Reason: ReasonMissingField, Detail: "errors[].code"}
	errTagTooLong     = &ParseError{Reason: ReasonTagTooLong, Detail: "statuses[].biz_opaque_callback_data longer than 512 bytes"}

	errConvObject   = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion is not an object"}
	errConvBusiness = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.phone_number_id missing or empty"}
	errConvCustomer = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.customer missing or empty"}
	errConvName     = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.name is not a string"}
	errConvValue    = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.value is not a finite number >= 0"}
	errConvCurrency = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.currency is not an ISO 4217 code"}
	errConvTimeMiss = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.timestamp missing"}
	errConvTimeBad  = &ParseError{Reason: ReasonBadConversion, Detail: "waba_conversion.timestamp absurd or unreadable"}

	errTwilioSid       = &ParseError{Reason: ReasonMissingField, Detail: "twilio MessageSid"}
	errTwilioStatus    = &ParseError{Reason: ReasonMissingField, Detail: "twilio MessageStatus"}
	errTwilioUnknown   = &ParseError{Reason: ReasonUnknownStatus, Detail: "twilio MessageStatus"}
	errTwilioAddr      = &ParseError{Reason: ReasonMissingField, Detail: "twilio From/To"}
	errTwilioForm      = &ParseError{Reason: ReasonUnknownFormat, Detail: "form body without Twilio message fields"}
	errGupshupPayload  = &ParseError{Reason: ReasonMissingField, Detail: "gupshup payload"}
	errGupshupID       = &ParseError{Reason: ReasonMissingField, Detail: "gupshup payload.id"}
	errGupshupStatus   = &ParseError{Reason: ReasonUnknownStatus, Detail: "gupshup payload.type"}
	errGupshupTimeBad  = &ParseError{Reason: ReasonBadTimestamp, Detail: "gupshup timestamp"}
	errGupshupSource   = &ParseError{Reason: ReasonMissingField, Detail: "gupshup payload.source"}
	errInfobipResult   = &ParseError{Reason: ReasonUnexpectedObject, Detail: "infobip results[] item is not an object"}
	errInfobipID       = &ParseError{Reason: ReasonMissingField, Detail: "infobip results[].messageId"}
	errInfobipStatus   = &ParseError{Reason: ReasonUnknownStatus, Detail: "infobip results[].status.groupName"}
	errInfobipTimeBad  = &ParseError{Reason: ReasonBadTimestamp, Detail: "infobip time"}
	errInfobipTimeMiss = &ParseError{Reason: ReasonMissingField, Detail: "infobip time"}
	errInfobipFrom     = &ParseError{Reason: ReasonMissingField, Detail: "infobip results[].from"}
	errInfobipShape    = &ParseError{Reason: ReasonUnknownFormat, Detail: "infobip results[] item of unknown kind"}
)
