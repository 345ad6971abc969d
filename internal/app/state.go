package app

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/checkpoint"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/window"
)

// checkpointVersion is the schema version of the checkpoint payload (the container below
// plus window.Snapshot). A checkpoint of another version is set aside, not used.
const checkpointVersion = 2

// savedState is the checkpoint payload's header: everything but the state machine, which
// follows it as a window snapshot. Offsets, counters and state are taken under one lock,
// so they describe the same prefix of the input (exactly-once across restarts). The hash
// key is not part of it: it lives in its own file (see hashKey).
//
// Payload layout: a 4-byte big-endian length, the header as JSON, then the snapshot
// (checkpointer.stream writes it, decodeState reads it).
type savedState struct {
	Positions []tail.Position                  `json:"positions"`
	Sources   map[string]pipeline.SourceCounts `json:"sources"`
	Written   int64                            `json:"written_unix"`
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

// hashKey is the 128-bit key of the customer, message and conversation id hashes.
type hashKey struct{ k0, k1 uint64 }

func randomHashKey() (hashKey, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return hashKey{}, fmt.Errorf("hash key: %w", err)
	}
	return hashKey{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}, nil
}

// HashKeyPath returns where the hash key is kept: keyFile when given, else beside the
// checkpoint (path + ".key"), else nowhere (a key of this process only).
func HashKeyPath(checkpointPath, keyFile string) string {
	if keyFile != "" {
		return keyFile
	}
	if checkpointPath != "" {
		return checkpointPath + ".key"
	}
	return ""
}

// loadHashKey reads the key file (32 hex digits), or creates it with a fresh random key
// (mode 0600, written and synced before use) when absent. created reports the latter. A
// file that exists but does not hold a key is an error: replacing it would silently make
// every checkpoint written with it useless.
func loadHashKey(path string) (k hashKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		raw, derr := hex.DecodeString(s)
		if derr != nil || len(raw) != 16 {
			return k, false, fmt.Errorf("hash key file %s: want 32 hexadecimal digits", path)
		}
		return hashKey{binary.LittleEndian.Uint64(raw[:8]), binary.LittleEndian.Uint64(raw[8:])}, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, fmt.Errorf("hash key file: %w", err)
	}
	if k, err = randomHashKey(); err != nil {
		return k, false, err
	}
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], k.k0)
	binary.LittleEndian.PutUint64(raw[8:], k.k1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return k, false, fmt.Errorf("hash key file: create: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return k, false, fmt.Errorf("hash key file: write: %w", err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return k, true, nil
}

// restoreInfo reports what restoreState found besides the state.
type restoreInfo struct {
	// Unusable: a checkpoint was there and could not be used (set aside, or left in
	// place when even that failed).
	Unusable bool
	// NoWrite: the unusable checkpoint could not be moved aside, so it must not be
	// overwritten: checkpoints are not written by this process.
	NoWrite bool
}

// restoreState loads the checkpoint at path, if any, into a Machine built with wc and the
// hash key from keyPath (created when absent). It returns a fresh Machine when there is
// no checkpoint, or when it was unusable: a checkpoint that exists but cannot be read
// (EACCES, EISDIR, EIO...) or decoded is moved aside (path + ".bad-<unix>") so that the
// next write cannot destroy it; if it cannot be moved, info.NoWrite is set. The error is
// for a hash key file that exists but cannot be used (the caller stops: exit 2).
func restoreState(path, keyPath string, wc window.Config, log *slog.Logger, info *restoreInfo) (*window.Machine, savedState, bool, error) {
	if info == nil {
		info = &restoreInfo{}
	}
	var key hashKey
	created := false
	var err error
	if keyPath != "" {
		if key, created, err = loadHashKey(keyPath); err != nil {
			return nil, savedState{}, false, err
		}
		if created {
			log.Info("hash key file created", "path", keyPath)
		}
	} else if key, err = randomHashKey(); err != nil {
		return nil, savedState{}, false, err
	}
	wc.HashKey, wc.HashKey2 = key.k0, key.k1
	fresh := func() (*window.Machine, savedState, bool, error) {
		return window.New(wc), savedState{}, false, nil
	}
	if path == "" {
		return fresh()
	}
	payload, err := checkpoint.Read(path, checkpointVersion)
	if err != nil {
		var sa *checkpoint.SetAsideError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Info("no checkpoint yet; starting from the inputs", "path", path)
		case errors.As(err, &sa):
			info.Unusable = true
			info.NoWrite = sa.RenameErr != nil
			log.Error("checkpoint not usable; starting from the inputs", "path", path, "err", err)
		default:
			// Not readable (permissions, a directory, an I/O error): keep it as evidence.
			info.Unusable = true
			moved, aerr := checkpoint.SetAside(path, err.Error())
			if aerr != nil {
				info.NoWrite = true
				log.Error("checkpoint cannot be read nor moved aside; starting from the inputs, and NOT writing checkpoints so as not to overwrite it: fix its permissions or move it away, then restart",
					"path", path, "err", err, "set_aside_err", aerr)
			} else {
				log.Error("checkpoint cannot be read; moved aside, starting from the inputs", "path", path, "moved_to", moved, "err", err)
			}
		}
		return fresh()
	}
	h, snap, err := decodeState(payload)
	if err == nil {
		var m *window.Machine
		if m, err = window.Restore(wc, snap); err == nil {
			log.Info("state restored from checkpoint", "path", path, "files", len(h.Positions), "written", time.Unix(h.Written, 0).UTC())
			return m, h, true, nil
		}
	}
	if created {
		err = fmt.Errorf("%w (the hash key file %s was missing and has been created: a checkpoint is only usable with the key it was written with)", err, keyPath)
	}
	info.Unusable = true
	moved, aerr := checkpoint.SetAside(path, err.Error())
	info.NoWrite = aerr != nil
	log.Error("checkpoint does not decode; set aside, starting from the inputs", "path", path, "moved_to", moved, "err", err, "set_aside_err", aerr)
	return fresh()
}

// positioner gives the restore points of what a pipeline has applied: a tail.Progress,
// or a Kafka shard's offset. Positions is called under the pipeline's write lock.
type positioner interface {
	Positions() []tail.Position
}

// checkpointer writes consistent checkpoints of a pipeline.
type checkpointer struct {
	path   string
	p      *pipeline.Pipeline
	prog   positioner
	health *exporter.Health
	rel    *exporter.Reliability
	log    *slog.Logger
	now    func() time.Time
}

// write takes the state, counters and applied offsets under the pipeline's write lock (the
// Progress is owned by the applying side) and writes them atomically. The state is
// streamed to the file through a bounded buffer, never built in memory: a checkpoint
// costs a fixed few hundred KiB whatever the state's size. The lock is held while the
// payload goes to the (page-cached) temporary file; the checksum pass, the fsync and the
// rename happen after it is released.
func (c *checkpointer) write() error {
	err := c.stream()
	if err != nil {
		c.log.Error("checkpoint write failed", "path", c.path, "err", err)
		if c.rel != nil {
			c.rel.CheckpointFailures.Add(1)
		}
		return err
	}
	c.health.CheckpointSuccess.Store(c.now().Unix())
	return nil
}

func (c *checkpointer) stream() error {
	w, err := checkpoint.Create(c.path, checkpointVersion)
	if err != nil {
		return err
	}
	h := savedState{Sources: map[string]pipeline.SourceCounts{}, Written: c.now().Unix()}
	c.p.Update(func(v pipeline.View) {
		for name, s := range v.Counts {
			h.Sources[name] = *s
		}
		h.Positions = c.prog.Positions()
		head, _ := json.Marshal(h)
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(head)))
		if _, err = w.Write(n[:]); err == nil {
			if _, err = w.Write(head); err == nil {
				err = v.Machine.SnapshotTo(w)
			}
		}
	})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}
