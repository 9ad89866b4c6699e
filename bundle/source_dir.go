package bundle

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// listDir lists a folder. Symlinks that stay inside the folder are followed; those that
// leave it, dangle or loop become error findings.
func listDir(input string) (*source, []Finding, error) {
	realRoot, err := filepath.EvalSymlinks(input)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve folder %s: %w", input, err)
	}
	w := &dirWalker{input: input, realRoot: realRoot, walking: map[string]bool{}}
	if err := w.walk(realRoot, ""); err != nil {
		return nil, nil, err
	}
	return newSource(input, w.entries, nil), w.findings, nil
}

// dirWalker walks a folder, following symlinks by their real paths.
type dirWalker struct {
	input    string
	realRoot string
	entries  []entry
	findings []Finding
	// walking holds the real paths of the folders being walked, to stop symlink loops.
	walking map[string]bool
}

// walk lists the folder realDir, known inside the input as rel ("" for the root).
func (w *dirWalker) walk(realDir, rel string) error {
	w.walking[realDir] = true
	defer delete(w.walking, realDir)
	items, err := os.ReadDir(realDir)
	if err != nil {
		return fmt.Errorf("read folder %s: %w", filepath.Join(w.input, rel), err)
	}
	for _, item := range items {
		full := filepath.Join(realDir, item.Name())
		name := path.Join(rel, item.Name())
		info, err := os.Lstat(full)
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(w.input, name), err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			err = w.link(full, name)
		} else {
			err = w.add(full, name, info)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// add records a file or walks a folder found at real path full.
func (w *dirWalker) add(full, name string, info fs.FileInfo) error {
	switch {
	case info.IsDir():
		w.entries = append(w.entries, entry{name: name + "/", mode: dirMode})
		return w.walk(full, name)
	case info.Mode().IsRegular():
		w.entries = append(w.entries, entry{name: name, mode: normalMode(info.Mode()),
			size: info.Size(), open: openFile(full)})
	default:
		w.findings = append(w.findings, errorf(w.where(name),
			"remove it from the folder", "not a regular file or folder (%s)", info.Mode()))
	}
	return nil
}

// link follows the symlink at full when it stays inside the input.
func (w *dirWalker) link(full, name string) error {
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		w.findings = append(w.findings, errorf(w.where(name),
			"remove the link or add its target", "symlink points to nothing"))
		return nil
	}
	if !within(w.realRoot, real) {
		target, _ := os.Readlink(full)
		w.findings = append(w.findings, errorf(w.where(name),
			"replace the link with a copy of its target inside the folder",
			"symlink points outside the folder (to %s)", target))
		return nil
	}
	if w.walking[real] {
		w.findings = append(w.findings, errorf(w.where(name),
			"remove the link: it points to a folder that contains it", "symlink loop"))
		return nil
	}
	info, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Join(w.input, name), err)
	}
	return w.add(real, name, info)
}

// where names a path of the folder in findings.
func (w *dirWalker) where(name string) string { return w.input + ": " + name }

// within tells whether p is root or lies under it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// openFile returns an opener for a file on disk.
func openFile(p string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(p) }
}
