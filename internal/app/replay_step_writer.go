package app

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/waba-exporter/waba_exporter/internal/heap"
)

// defaultSpillBudget is how many bytes of one family's samples are sorted in memory at
// the end of a stepped replay; a larger family is sorted in runs of that size on disk
// and merged.
const defaultSpillBudget = 32 << 20

// stepWriter collects the exposition at each step of a stepped replay and writes it as
// one OpenMetrics document in the order the format requires: each metric family once
// (families by name), within a family each series (label set) once with all its samples,
// and a series' samples in increasing time. Steps arrive in increasing time, so the
// samples of each family are appended to a spill file of their own as they come, and
// sorted by series at the end with a stable sort, which keeps each series' samples in
// step order (and a histogram's buckets, count and sum together at each step).
//
// Memory is bounded by the spill budget (plus one bufio.Writer per family), whatever
// the range and the step: the samples live on disk until written.
type stepWriter struct {
	dir    string // spill files; removed by close
	budget int64
	extra  []*dto.LabelPair // added to every series (a series' own label wins)
	fams   map[string]*famSpill
	buf    bytes.Buffer
	key    []byte
	one    dto.MetricFamily
}

// famSpill is one family's spill file: records of (series key, sample lines).
type famSpill struct {
	header []byte // # HELP, # TYPE, # UNIT lines
	f      *os.File
	w      *bufio.Writer
	size   int64
}

func newStepWriter(dir string, budget int64, extra []*dto.LabelPair) (*stepWriter, error) {
	if budget <= 0 {
		budget = defaultSpillBudget
	}
	d, err := os.MkdirTemp(dir, "waba-replay-step-*")
	if err != nil {
		return nil, err
	}
	return &stepWriter{dir: d, budget: budget, extra: extra, fams: map[string]*famSpill{}}, nil
}

// size is the number of bytes spilled so far.
func (s *stepWriter) size() int64 {
	var n int64
	for _, fs := range s.fams {
		n += fs.size
	}
	return n
}

// close removes the spill files.
func (s *stepWriter) close() error {
	for _, fs := range s.fams {
		fs.f.Close()
	}
	return os.RemoveAll(s.dir)
}

// add appends the gathered families, every sample stamped tsMillis.
func (s *stepWriter) add(mfs []*dto.MetricFamily, tsMillis int64) error {
	for _, mf := range mfs {
		if len(mf.Metric) == 0 || skipStepFamily(mf.GetName()) {
			continue
		}
		fs := s.fams[mf.GetName()]
		if fs == nil {
			f, err := os.CreateTemp(s.dir, "family-*")
			if err != nil {
				return err
			}
			fs = &famSpill{f: f, w: bufio.NewWriterSize(f, 64<<10)}
			s.fams[mf.GetName()] = fs
		}
		s.one = dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit}
		for _, m := range mf.Metric {
			m.TimestampMs = &tsMillis
			m.Label = withExtraLabels(m.Label, s.extra)
			s.one.Metric = []*dto.Metric{m}
			s.buf.Reset()
			if _, err := expfmt.MetricFamilyToOpenMetrics(&s.buf, &s.one); err != nil {
				return fmt.Errorf("%s: %w", mf.GetName(), err)
			}
			b := s.buf.Bytes()
			i := 0 // the header lines come first
			for i < len(b) && b[i] == '#' {
				j := bytes.IndexByte(b[i:], '\n')
				if j < 0 {
					break
				}
				i += j + 1
			}
			if fs.header == nil {
				fs.header = bytes.Clone(b[:i])
			}
			s.key = seriesKey(s.key[:0], m.Label)
			if err := fs.record(s.key, b[i:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// skipStepFamily drops what describes the replaying process rather than the log: the
// duration of the previous Collect changes from run to run.
func skipStepFamily(name string) bool {
	return name == "waba_exporter_collect_duration_seconds"
}

func withExtraLabels(ls []*dto.LabelPair, extra []*dto.LabelPair) []*dto.LabelPair {
	if len(extra) == 0 {
		return ls
	}
	for _, e := range extra {
		if !slices.ContainsFunc(ls, func(l *dto.LabelPair) bool { return l.GetName() == e.GetName() }) {
			ls = append(ls, e)
		}
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].GetName() < ls[j].GetName() })
	return ls
}

// seriesKey identifies a series within its family: its label pairs (the gatherer sorts
// them by name), separated by bytes that cannot occur in UTF-8 text.
func seriesKey(dst []byte, ls []*dto.LabelPair) []byte {
	for _, l := range ls {
		dst = append(dst, l.GetName()...)
		dst = append(dst, 0xfe)
		dst = append(dst, l.GetValue()...)
		dst = append(dst, 0xff)
	}
	return dst
}

func (fs *famSpill) record(key, data []byte) error {
	var hdr [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(key)))
	n += binary.PutUvarint(hdr[n:], uint64(len(data)))
	for _, b := range [][]byte{hdr[:n], key, data} {
		if _, err := fs.w.Write(b); err != nil {
			return err
		}
	}
	fs.size += int64(n + len(key) + len(data))
	return nil
}

// spillRecord is a record read back: slices of a buffer.
type spillRecord struct{ key, data []byte }

// readRecords parses records from r until EOF or until about budget bytes were read
// (into buf, reused), returning them and whether r is exhausted.
func readRecords(r *bufio.Reader, buf []byte, budget int64) ([]spillRecord, []byte, bool, error) {
	if want := int(budget) + 64<<10; cap(buf) < want {
		buf = make([]byte, 0, want) // once, not by doubling: the budget is the memory bound
	}
	buf = buf[:0]
	var spans []recordSpan
	for int64(len(buf)) < budget {
		kl, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return toRecords(buf, spans), buf, true, nil
		}
		if err != nil {
			return nil, buf, false, err
		}
		dl, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, buf, false, err
		}
		k0 := len(buf)
		buf = slices.Grow(buf, int(kl+dl))[:k0+int(kl+dl)]
		if _, err := io.ReadFull(r, buf[k0:]); err != nil {
			return nil, buf, false, err
		}
		spans = append(spans, recordSpan{k0, k0 + int(kl), k0 + int(kl+dl)})
	}
	_, err := r.Peek(1)
	return toRecords(buf, spans), buf, err == io.EOF, nil
}

// recordSpan locates a record in the read buffer (which may move while it grows).
type recordSpan struct{ k0, k1, d1 int }

func toRecords(buf []byte, spans []recordSpan) []spillRecord {
	out := make([]spillRecord, len(spans))
	for i, sp := range spans {
		out[i] = spillRecord{key: buf[sp.k0:sp.k1], data: buf[sp.k1:sp.d1]}
	}
	return out
}

// finish writes the document to w: the families by name, each sorted by series.
func (s *stepWriter) finish(w io.Writer) error {
	names := make([]string, 0, len(s.fams))
	for n := range s.fams {
		names = append(names, n)
	}
	sort.Strings(names)
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	for _, n := range names {
		fs := s.fams[n]
		if err := fs.w.Flush(); err != nil {
			return err
		}
		if _, err := fs.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		bw.Write(fs.header)
		var err error
		if buf, err = s.writeFamily(bw, fs, buf); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		fs.f.Close()
		os.Remove(fs.f.Name())
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// writeFamily writes one family's records sorted by series key, stable (so by step
// within a series): in memory when the family fits the budget, else by sorting runs of
// the budget's size into files and merging them (ties go to the earlier run, whose
// steps are earlier).
func (s *stepWriter) writeFamily(w *bufio.Writer, fs *famSpill, buf []byte) ([]byte, error) {
	r := bufio.NewReaderSize(fs.f, 1<<20)
	if fs.size <= s.budget {
		recs, b, _, err := readRecords(r, buf, fs.size+1)
		if err != nil {
			return b, err
		}
		sortRecords(recs)
		for _, rec := range recs {
			w.Write(rec.data)
		}
		return b, nil
	}
	var runs []*os.File
	defer func() {
		for _, f := range runs {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for done := false; !done; {
		var recs []spillRecord
		var err error
		recs, buf, done, err = readRecords(r, buf, s.budget)
		if err != nil {
			return buf, err
		}
		if len(recs) == 0 {
			break
		}
		sortRecords(recs)
		f, err := os.CreateTemp(s.dir, "run-*")
		if err != nil {
			return buf, err
		}
		runs = append(runs, f)
		rw := &famSpill{f: f, w: bufio.NewWriterSize(f, 64<<10)}
		for _, rec := range recs {
			if err := rw.record(rec.key, rec.data); err != nil {
				return buf, err
			}
		}
		if err := rw.w.Flush(); err != nil {
			return buf, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return buf, err
		}
	}
	h := heap.New(runLess)
	for i, f := range runs {
		c := &runCursor{r: bufio.NewReaderSize(f, 64<<10), run: i}
		ok, err := c.next()
		if err != nil {
			return buf, err
		}
		if ok {
			h.Push(c)
		}
	}
	for h.Len() > 0 {
		c := h.Pop()
		w.Write(c.data)
		ok, err := c.next()
		if err != nil {
			return buf, err
		}
		if ok {
			h.Push(c)
		}
	}
	return buf, nil
}

func sortRecords(recs []spillRecord) {
	slices.SortStableFunc(recs, func(a, b spillRecord) int { return bytes.Compare(a.key, b.key) })
}

// runCursor reads one sorted run.
type runCursor struct {
	r         *bufio.Reader
	run       int
	key, data []byte
}

func (c *runCursor) next() (bool, error) {
	kl, err := binary.ReadUvarint(c.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dl, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, err
	}
	c.key = slices.Grow(c.key[:0], int(kl))[:kl]
	c.data = slices.Grow(c.data[:0], int(dl))[:dl]
	if _, err := io.ReadFull(c.r, c.key); err != nil {
		return false, err
	}
	if _, err := io.ReadFull(c.r, c.data); err != nil {
		return false, err
	}
	return true, nil
}

// runLess orders cursors by key, then by run (earlier runs hold earlier steps).
func runLess(a, b **runCursor) bool {
	if c := bytes.Compare((*a).key, (*b).key); c != 0 {
		return c < 0
	}
	return (*a).run < (*b).run
}
