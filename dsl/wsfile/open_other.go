//go:build !unix

package wsfile

import "os"

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }
