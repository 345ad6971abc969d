//go:build unix

package tail

import (
	"errors"
	"os"
	"syscall"
)

// idOf returns the (device, inode) identity of a stat result.
func idOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}

// isStale reports an NFS stale file handle.
func isStale(err error) bool { return errors.Is(err, syscall.ESTALE) }
