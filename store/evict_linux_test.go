package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// evictFromCache asks the kernel to drop the file's pages from the page
// cache, so the next read comes from disk (the file must not be open).
// It reports whether the kernel accepted.
func evictFromCache(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_ = f.Sync()
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) == nil
}
