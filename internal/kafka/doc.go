// Package kafka is the scale-out path (docs/scale-out.md): the producer side (Splitter,
// Forwarder: webhook bodies from the tailer to a topic, one record per customer, keyed
// by customer) and the consumer side (Member: a consumer group member whose every
// assigned partition is a shard with its own pipeline and state machine, fed by
// pipeline.Run, the engine every mode uses).
//
// Invariants:
//   - Every record of one customer has the same key (the BSUID when the webhook gives
//     one, else the phone number), so every event of a customer lands in one partition
//     and per-customer state (windows, unique recipients) is whole in one shard: the sum
//     over shards of every business series equals one exporter reading everything.
//   - The forwarder records a line as done only after the broker acknowledged all its
//     records and those of every earlier line (at-least-once); consumers dedupe.
//   - A shard's state is a function of its partition's records: a shard is rebuilt by
//     reading its partition from the start of retention (or from its local checkpoint),
//     and reports not ready until it has applied every record up to the high watermark
//     seen at assignment.
//   - Nothing here logs or labels customer ids or bodies.
package kafka
