// Package sim is the demo traffic simulator: a deterministic, seeded generator of Meta
// Cloud API webhook bodies (one compact JSON body per line) as a webhook receiver logs
// them, in arrival order.
//
// What it models, per business phone number (4 numbers in 2 WhatsApp Business Accounts)
// and per customer (a fixed pool of synthetic wa_ids of several countries):
//   - template campaigns (marketing bursts at 20-80 msg/s at local business hours),
//     utility and authentication templates on a diurnal, weekly curve;
//   - customer sessions: inbound messages of every type, business replies after
//     realistic delays (some never answered, some too late and failed with 131047),
//     interactive and quick-reply answers with context.id, reactions, voice replies that
//     get `played`, order updates and promotions inside the service window, and
//     click-to-WhatsApp sessions whose reply opens a free entry point window;
//   - the status lifecycle sent -> delivered -> read, some never delivered, some read
//     without delivered, failures with real error codes;
//   - opt-outs and opt-ins (user_preferences stop/resume, STOP/UNSUBSCRIBE/START
//     keywords, a STOP quick-reply button, 131050 failures for opted-out customers);
//   - account-level webhooks: phone_number_quality_update, business_capability_update,
//     message_template_status_update, account_update and value-level errors (130429);
//   - the receiver's view: statuses of one number batched several per webhook, arrival
//     jitter (most within 2 s, some minutes late) and ~0.6% byte-identical retries.
//
// Pricing invariant: every `pricing` and `conversation` object follows docs/spec.md section 4 as
// evaluated on the integer-second timestamps the log itself shows. A message is
// classified at its send second against the windows open then (customer service window
// from inbound messages; referral pending; free entry point and CBP conversations opened
// at their opener's delivery second, visible to later seconds only), under CBP when sent
// before 2025-07-01T00:00:00Z and PMP from then (a PMP-era message that falls into a CBP
// conversation still open keeps reporting CBP). `pricing` is on `sent` and on exactly one
// of `delivered`/`read`, never on `failed`; under PMP `conversation` appears only for free
// entry point messages.
//
// Determinism: the output is a pure function of Options (and, for Play, of the clock
// values and the rate and speed arguments). The generator plans every event of a traffic
// unit when the unit starts, and it emits a line only after every event that can affect
// that line's pricing has been planned, so the pricing state is evaluated in event time
// although lines come out in arrival order.
//
// Memory is bounded: pending lines, pending pricing events and planned sources live in
// heaps whose size is bounded by MaxPending (new traffic is skipped while the bound is
// reached), and per-customer state is a fixed array of Customers x phone numbers.
package sim
