// Package campaign reads campaign tags (biz_opaque_callback_data, docs/spec.md 3.4, issue 16),
// bounds their label values and attributes conversions. It is pure: no I/O, no clock
// (every time is event time in unix seconds, passed in), no Prometheus types. Nothing is
// safe for concurrent use; the state machine calls it under its lock.
//
// # Pieces
//
//   - Config: the `campaigns:` section, WithDefaults and Validate (a *FieldError names the
//     key, e.g. campaigns.kv_separator; the config package adds the line).
//   - Parser: a tag value to (campaign, variant, template), formats kv (default
//     `campaign=spring;variant=B`), json and regex (named groups). A value without the
//     campaign key, or with an empty one, is no tag; a campaign, variant or template over
//     MaxLabelLen (64) bytes or not printable UTF-8, or a campaign named `none` or `other`,
//     is Refused. A missing variant is `none`. kv and json parse without allocating.
//   - Table: interns (campaign, variant) into a Ref (8 bytes; 0 = untagged). Allowlists,
//     else the first MaxCampaigns / MaxVariants values; the rest fold into `other` and are
//     counted (Stats.CampaignOverflow, VariantOverflow). Expire(now) drops campaigns without
//     an event for ExpireAfter (last + expire_after <= now) and frees their slots; a Ref
//     carries its slot's generation, so a Ref of an expired campaign stops resolving even
//     when the slot is reused. Tag/Touch/Resolve of an interned tag allocate nothing.
//   - Names: bounds the conversion `name` label (first MaxConversionNames, else `other`).
//   - Record / Attribute / Prune: a customer's bounded list of recent tagged deliveries and
//     last- or first-touch attribution within a window (d <= t < d + window).
//
// # How the state machine wires it in (the next step of issue 16)
//
// State: one Table (campaign.NewTable(cfg.Campaigns)) in the Machine. Per message state:
// a Ref (8 bytes) and, if not kept already, the delivery second d (smallest time of its
// delivered/read statuses) and the statuses already counted for the campaign funnel (4
// bits: sent, delivered, read, failed). Per customer state (keyed as docs/spec.md 4.9 links
// phone and BSUID, per phone_number_id): a []Touch of at most Config.MaxTouches (default
// 4, 24 bytes each), nil for customers never sent a tagged message.
//
// Events:
//   - Status with Event.CampaignTag, message Ref still 0: ref, _ := tbl.Tag(tag, ev.Time)
//     (counts no_tag / refused in tbl.Stats()). Statuses without a tag inherit the Ref.
//     When a message gets its Ref after some of its statuses were seen (tag only on a
//     later status, or on a retried webhook), credit the funnel steps already seen then,
//     and Record its delivery if it had one: the funnel counts each step once per message,
//     whatever the order.
//   - Status sent / delivered (or read, when no delivered) / read / failed of a tagged
//     message: waba_campaign_messages_total{status} once per message and step; tbl.Touch
//     (ref, ev.Time). On the first delivered or read (and whenever a smaller delivery time
//     appears), h = campaign.Record(h, Touch{Time: d, Key: msgKey, Ref: ref}, max) on the
//     customer; for a message whose tag arrives after its delivery, Record it when the tag
//     arrives (with its stored d). Recording only tagged messages this way attributes as
//     the generator's ground truth does (TestGeneratorCampaignGroundTruth, "recorded as
//     lines come"); a Touch with a zero Ref is allowed and skipped by Attribute. delivered -> read latency of a tagged message: the histogram by variant.
//   - Inbound: a reply (docs/spec.md 4.6, the machine's existing attribution) to a message with a
//     Ref: waba_campaign_replies_total. Of type button or interactive with a context.id
//     naming a message with a Ref: waba_campaign_button_clicks_total (whether or not it is
//     the first reply). tbl.Touch(ref, ev.Time) in both cases.
//   - Opt-out signal (user_preferences stop, 131050, keyword or button payload): t, ok :=
//     campaign.Attribute(h, ev.Time, window, LastTouch) (always last touch):
//     waba_campaign_opt_outs_total of t.Ref.
//   - KindConversion: look the customer up without creating it (a conversion of an unknown
//     customer is unattributed); t, ok := campaign.Attribute(h, ev.Time, window, mode);
//     resolve t.Ref; when !ok or the Ref no longer resolves: campaign and variant `none`.
//     waba_campaign_conversions_total{name} += 1, conversion_value_total{currency} +=
//     ev.ConversionValue (skip the value when ConversionCurrency is empty). The name label
//     is names.Label(ev.ConversionName) (a Names of Config.MaxConversionNames).
//     Conversions have no message id and are never retried: do not deduplicate them by
//     (kind, time, customer) as repeated() does for other id-less events, or two
//     purchases in one second count once.
//   - At each watermark advance (or at scrape): left := tbl.Expire(watermark, left[:0]);
//     delete those campaigns' series; h = campaign.Prune(h, watermark-lateness, window)
//     when a customer is touched; a customer whose list empties drops it.
//   - Exposition: tbl.Labels gives the live (campaign, variant) grid; tbl.Stats() the
//     overflow (waba_exporter_label_values_overflow_total{label="campaign"|"variant"}) and
//     refusals.
package campaign
