package window

import (
	"bytes"

	"github.com/waba-exporter/waba_exporter/model"
)

// MaxErrorCode is the largest numeric error code exported as its own error_code label
// value. Meta's Cloud API and On-Premises error codes have at most six digits (131026,
// 130472, 470, ...), as have Twilio's (63016) and Gupshup's (1012); a longer number is
// not an error code anyone documents, and may be customer data put in the wrong field
// (a phone number is seven digits or more), so it is folded into "other".
const MaxErrorCode = 999_999

// knownErrorNames are the non-numeric codes exported as their own label value (lower
// case): Infobip's status and error group names and the error names of its delivery
// reports. Any other text is folded into "other": a free-text field can carry anything,
// customer data included.
var knownErrorNames = []string{
	// Infobip status groups and error groups.
	"pending", "undeliverable", "delivered", "expired", "rejected",
	"ok", "handset_errors", "user_errors", "operator_errors",
	// Infobip error names.
	"no_error", "ec_unknown_subscriber", "ec_absent_subscriber", "ec_call_barred",
	"ec_system_failure", "ec_teleservice_not_provisioned", "ec_illegal_subscriber",
	"ec_illegal_equipment", "ec_facility_not_supported", "ec_sm_delivery_failure",
	"ec_message_waiting_list_full", "ec_absent_subscriber_sm", "ec_unidentified_subscriber",
}

// errorCodeSafe reports whether ev's error code may become a label value as it is (see
// MaxErrorCode and knownErrorNames). A code that is not is exported as "other". It does
// not allocate.
func errorCodeSafe(ev *model.Event) bool {
	if ev.ErrorCode != 0 {
		return ev.ErrorCode > 0 && ev.ErrorCode <= MaxErrorCode
	}
	if len(ev.ErrorCodeRaw) == 0 || len(ev.ErrorCodeRaw) > 32 {
		return len(ev.ErrorCodeRaw) == 0
	}
	for _, n := range knownErrorNames {
		if len(n) == len(ev.ErrorCodeRaw) && bytes.EqualFold([]byte(n), ev.ErrorCodeRaw) {
			return true
		}
	}
	return false
}
