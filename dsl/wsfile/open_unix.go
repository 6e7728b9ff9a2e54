//go:build unix

package wsfile

import (
	"os"
	"syscall"
)

// openNoFollow opens a file for reading without following a final link and without waiting for
// a writer on a pipe.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
