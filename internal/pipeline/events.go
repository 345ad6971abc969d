package pipeline

import "github.com/waba-exporter/waba_exporter/model"

// Events returns the decoded events of the batch, in order. The slice and the bytes its
// events point to belong to the batch: read them only, and only until the batch is
// decoded into again. (replay --step reads the event times of a line before applying
// it, to write the exposition at each step of event time.)
func (d *Decoded) Events() []model.Event { return d.events }
