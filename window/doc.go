// Package window is the per-customer conversation-window state machine (docs/spec.md 4).
//
// It is pure: no I/O, no clock of its own, no Prometheus types. Time is event time only
// (payload timestamps); the caller passes "now" where a scrape-time view needs one.
//
// Invariants:
//   - Counts of reported facts (a status reaching a stage, an inbound message, reported
//     pricing or conversation, opt-outs) are applied the moment an event is applied.
//   - Inference that depends on what else was open at an instant (service windows, CBP
//     conversations, PMP pricing classes, free entry points, response times, reply
//     attribution) runs on a reorder buffer in event-time order: an item is released once
//     the watermark (largest event time seen) has passed it by AllowedLateness. Items that
//     arrive behind the released frontier are applied at once and counted as late.
//     Flush releases everything (end of a replay).
//   - Every map is bounded by a TTL (generational: entries not touched for a TTL are
//     dropped) and a size cap (the oldest generation is dropped early); evictions are
//     counted by kind and reason.
//   - Customer, message and conversation ids are kept only as keyed 64-bit hashes. A
//     customer is its phone number, else its business-scoped user id (BSUID), linked to
//     the phone number by any event that shows both (docs/spec.md 4.9; see identity).
//   - Conversations exist under conversation-based pricing (CBP) only: a conversation
//     object on a PMP-priced status is never one (docs/spec.md 4.3). Free entry point windows
//     are counted in both eras.
//   - A business belongs to one portfolio (configured, else its WABA's own), resolved
//     when it, its WABA or the configuration changes, never at a scrape.
//   - A Machine is not safe for concurrent use; callers serialise Apply with a mutex and
//     take a read lock around the read-only accessors.
//
// The package counts and does not name: counters are arrays indexed by small typed
// enums (Funnel, Source, Attribution, Mismatch, CampaignStatus, DropReason, EvictKind,
// ActiveWindow, ...), each with a Num constant that sizes them. The label values those
// enums get in the exposition belong to the exporter. Durations in Config are
// time.Duration of event time; event times themselves are Unix seconds (int64), as in
// model.Event.
package window
