// Package wsfile reads the files of a workspace, which are regular files of bounded size. A link
// to a device (/dev/zero) would be read forever, a named pipe would wait for a writer forever, and
// a link to /proc/self/environ would put the process's secrets into diagnostics: a file that is
// not a regular file, or a link that leads out of the folders it belongs to, is refused with an
// error that says so, and never read; a regular file is read through a limit, never whole first.
package wsfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxBytes bounds a workspace file. The starter library's largest file is a few kilobytes; an
// HTML email template may reach a few hundred.
const MaxBytes = 2 << 20

// Error is a file refused: Code is the diagnostic code (file-type or file-size).
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Message }

// Read reads the file at path: a regular file, or a link to one that stays inside one of roots
// (the workspace's folder, the folder the file was found in). It reads at most MaxBytes; a
// larger file, or one that grows past it while read, is refused.
func Read(path string, roots ...string) ([]byte, error) {
	name := filepath.Base(path)
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	target := path
	if st.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, fmt.Errorf("%s is a link that leads nowhere: %w", name, err)
		}
		if real, err = filepath.Abs(real); err != nil {
			return nil, err
		}
		if !inside(real, roots) {
			return nil, &Error{"file-type", fmt.Sprintf("%s is a link to %s, outside the workspace: a workspace file must be a regular file in it (copy the file in instead of linking it)", name, real)}
		}
		if st, err = os.Stat(real); err != nil {
			return nil, err
		}
		target = real
	}
	if err := regular(name, st); err != nil {
		return nil, err
	}
	// Not following a link here, and not waiting on a pipe, keeps a file swapped since the checks
	// above from being anything but refused.
	f, err := openNoFollow(target)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fst, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(name, fst); err != nil {
		return nil, err
	}
	if !os.SameFile(st, fst) {
		return nil, fmt.Errorf("%s changed while it was read; try again", name)
	}
	if fst.Size() > MaxBytes {
		return nil, tooLarge(name, fst.Size())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBytes {
		return nil, tooLarge(name, int64(len(b)))
	}
	return b, nil
}

func tooLarge(name string, size int64) error {
	return &Error{"file-size", fmt.Sprintf("%s is %.1f MB or more; a flow, template, settings or test file must stay under %d MB: split it", name, float64(size)/(1<<20), MaxBytes>>20)}
}

// regular refuses what is not a regular file, saying what it is.
func regular(name string, st fs.FileInfo) error {
	m := st.Mode()
	var what string
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a folder"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
	}
	return &Error{"file-type", fmt.Sprintf("%s is %s: a workspace file must be a regular file; remove it, or rename it so that it does not end in .yaml", name, what)}
}

// inside reports whether path is one of roots or below one, both with links resolved.
func inside(path string, roots []string) bool {
	for _, r := range roots {
		if real, err := filepath.EvalSymlinks(r); err == nil {
			r = real
		}
		if abs, err := filepath.Abs(r); err == nil {
			r = abs
		}
		if path == r || strings.HasPrefix(path, strings.TrimSuffix(r, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// Code is the diagnostic code of an error of Read: file-type or file-size for a file refused,
// io for one that could not be read.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "io"
}
