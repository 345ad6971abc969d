package app

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/waba-exporter/waba_exporter/checkpoint"
	"github.com/waba-exporter/waba_exporter/exporter"
	"github.com/waba-exporter/waba_exporter/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/window"
)

// checkpointVersion is the schema version of the checkpoint payload (the container below
// plus window.Snapshot). A checkpoint of another version is set aside, not used.
const checkpointVersion = 1

// savedState is the checkpoint payload's header: everything but the state machine, which
// follows it as a window snapshot. Offsets, counters and state are taken under one lock,
// so they describe the same prefix of the input (exactly-once across restarts).
type savedState struct {
	HashKey   uint64                           `json:"hash_key"`
	Positions []tail.Position                  `json:"positions"`
	Sources   map[string]pipeline.SourceCounts `json:"sources"`
	Written   int64                            `json:"written_unix"`
}

func encodeState(h savedState, snap []byte) []byte {
	head, _ := json.Marshal(h)
	out := binary.BigEndian.AppendUint32(nil, uint32(len(head)))
	out = append(out, head...)
	return append(out, snap...)
}

func decodeState(payload []byte) (savedState, []byte, error) {
	var h savedState
	if len(payload) < 4 {
		return h, nil, errors.New("checkpoint payload too short")
	}
	n := int(binary.BigEndian.Uint32(payload))
	if n > len(payload)-4 {
		return h, nil, errors.New("checkpoint header length out of range")
	}
	if err := json.Unmarshal(payload[4:4+n], &h); err != nil {
		return h, nil, fmt.Errorf("checkpoint header: %w", err)
	}
	return h, payload[4+n:], nil
}

// randomKey returns a fresh hash key: customer ids are hashed with a key of this process
// (kept in the checkpoint), so the hashes mean nothing elsewhere.
func randomKey() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:]) | 1
}

// restoreState loads the checkpoint at path, if any, into a Machine built with wc. It
// returns a fresh Machine (with a new random hash key) when there is none, or when the
// checkpoint was unusable (it is set aside by the checkpoint package and logged).
func restoreState(path string, wc window.Config, log *slog.Logger) (*window.Machine, savedState, bool) {
	fresh := func() (*window.Machine, savedState, bool) {
		wc.HashKey = randomKey()
		return window.New(wc), savedState{HashKey: wc.HashKey}, false
	}
	if path == "" {
		return fresh()
	}
	payload, err := checkpoint.Read(path, checkpointVersion)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			log.Info("no checkpoint yet; starting from the inputs", "path", path)
		} else {
			log.Error("checkpoint not usable; starting from the inputs", "path", path, "err", err)
		}
		return fresh()
	}
	h, snap, err := decodeState(payload)
	if err == nil {
		wc.HashKey = h.HashKey
		var m *window.Machine
		if m, err = window.Restore(wc, snap); err == nil {
			log.Info("state restored from checkpoint", "path", path, "files", len(h.Positions), "written", time.Unix(h.Written, 0).UTC())
			return m, h, true
		}
	}
	log.Error("checkpoint does not decode; starting from the inputs", "path", path, "err", err)
	return fresh()
}

// checkpointer writes consistent checkpoints of a pipeline.
type checkpointer struct {
	path   string
	key    uint64
	p      *pipeline.Pipeline
	prog   *tail.Progress
	health *exporter.Health
	rel    *exporter.Reliability
	log    *slog.Logger
	now    func() time.Time
}

// write takes the state, counters and applied offsets under the pipeline's write lock (the
// Progress is owned by the applying side) and writes them atomically.
func (c *checkpointer) write() error {
	var snap []byte
	h := savedState{HashKey: c.key, Sources: map[string]pipeline.SourceCounts{}, Written: c.now().Unix()}
	c.p.Update(func(v pipeline.View) {
		snap = v.Machine.Snapshot()
		for name, s := range v.Counts {
			h.Sources[name] = *s
		}
		h.Positions = c.prog.Positions()
	})
	if err := checkpoint.Write(c.path, checkpointVersion, encodeState(h, snap)); err != nil {
		c.log.Error("checkpoint write failed", "path", c.path, "err", err)
		if c.rel != nil {
			c.rel.CheckpointFailures.Add(1)
		}
		return err
	}
	c.health.CheckpointSuccess.Store(c.now().Unix())
	return nil
}
