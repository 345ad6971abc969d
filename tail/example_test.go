package tail_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/waba-exporter/waba_exporter/tail"
)

// Read every file a glob matches, then stop (Follow: false, as replay does; with Follow:
// true the tailer keeps following the files, their rotations and new matches). Each line
// names its file and the offset just past it, which a Progress turns into the positions
// of a checkpoint once the consumer has applied the line.
func Example_glob() {
	dir, _ := os.MkdirTemp("", "tail-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "webhooks-1.log"), []byte("{\"a\":1}\n{\"a\":2}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "webhooks-2.log"), []byte("{\"b\":1}\n"), 0o600)

	t, err := tail.New(tail.Options{Sources: []string{filepath.Join(dir, "webhooks-*.log")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	prog := tail.NewProgress(t)
	batches := make(chan *tail.Batch, 4)
	go func() { t.Run(context.Background(), batches); close(batches) }()
	for b := range batches {
		for i, l := range b.Lines {
			fmt.Printf("%s @%d: %s\n", filepath.Base(l.File.Path()), l.Offset, l.Data)
			prog.Done(&b.Lines[i]) // applied: its offset may now be checkpointed
		}
		b.Release() // the lines' memory goes back to the tailer
	}
	for _, p := range prog.Positions() {
		fmt.Printf("resume %s at %d\n", filepath.Base(p.Path), p.Offset)
	}
	// Output:
	// webhooks-1.log @8: {"a":1}
	// webhooks-1.log @16: {"a":2}
	// webhooks-2.log @8: {"b":1}
	// resume webhooks-1.log at 16
	// resume webhooks-2.log at 8
}
