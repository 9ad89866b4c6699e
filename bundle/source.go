package bundle

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Modes written into bundle zips: only the executable bit of the input survives, so the same
// content gives the same zip whatever the umask or the tool that made the input.
const (
	fileMode = 0o644
	execMode = 0o755
	dirMode  = fs.ModeDir | 0o755
)

// entry is one file or folder of an input, ready to be read.
type entry struct {
	// name is the slash-separated path inside the input; folders end with "/".
	name string
	mode fs.FileMode
	size int64
	open func() (io.ReadCloser, error)
}

// isDir tells whether the entry is a folder.
func (e entry) isDir() bool { return strings.HasSuffix(e.name, "/") }

// source is an input (folder or zip) listed as entries sorted by name.
type source struct {
	// input is the path the user gave, used in findings.
	input   string
	entries []entry
	byName  map[string]int
	closer  io.Closer
}

// openSource lists a folder or a zip; role ("host", "app") names the input in errors.
// Unsafe entries become error findings and are left out.
func openSource(role, input string) (*source, []Finding, error) {
	info, err := os.Stat(input)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s input %s: %w (fix: pass --%s an existing "+
			"folder or .zip file)", role, input, err, role)
	}
	if info.IsDir() {
		return listDir(input)
	}
	return listZip(role, input)
}

// Close releases the zip behind the source, if any.
func (s *source) Close() error {
	if s == nil || s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// newSource sorts the entries, adds the folders that only appear as parents and indexes them.
func newSource(input string, files []entry, closer io.Closer) *source {
	entries := withParentDirs(files)
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	s := &source{input: input, entries: entries, closer: closer}
	s.index()
	return s
}

// index rebuilds the name lookup.
func (s *source) index() {
	s.byName = make(map[string]int, len(s.entries))
	for i, e := range s.entries {
		s.byName[e.name] = i
	}
}

// withParentDirs returns entries plus a folder entry for every parent not listed yet.
func withParentDirs(entries []entry) []entry {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		seen[e.name] = true
	}
	out := entries
	for _, e := range entries {
		for dir := path.Dir(strings.TrimSuffix(e.name, "/")); dir != "."; dir = path.Dir(dir) {
			if seen[dir+"/"] {
				break
			}
			seen[dir+"/"] = true
			out = append(out, entry{name: dir + "/", mode: dirMode})
		}
	}
	return out
}

// lookup returns the entry called name.
func (s *source) lookup(name string) (entry, bool) {
	i, ok := s.byName[name]
	if !ok {
		return entry{}, false
	}
	return s.entries[i], true
}

// where names an entry of the source in findings.
func (s *source) where(name string) string { return s.input + ": " + name }

// totalSize is the sum of the file sizes.
func (s *source) totalSize() int64 {
	var n int64
	for _, e := range s.entries {
		n += e.size
	}
	return n
}

// rootAt makes the folder that holds marker the root, when marker is not at the root but
// inside a single top-level folder (the common "zip of the folder" case). It reports whether
// marker is now at the root.
func (s *source) rootAt(marker string) bool {
	if _, ok := s.lookup(marker); ok {
		return true
	}
	top, ok := s.singleTopDir()
	if !ok {
		return false
	}
	if _, ok := s.lookup(top + marker); !ok {
		return false
	}
	var inner []entry
	for _, e := range s.entries {
		if e.name != top {
			e.name = strings.TrimPrefix(e.name, top)
			inner = append(inner, e)
		}
	}
	s.entries = inner
	s.index()
	return true
}

// find returns the shallowest entry whose file name is base, "" when there is none.
func (s *source) find(base string) string {
	best := ""
	for _, e := range s.entries {
		if path.Base(e.name) != base || e.isDir() {
			continue
		}
		if best == "" || strings.Count(e.name, "/") < strings.Count(best, "/") {
			best = e.name
		}
	}
	return best
}

// singleTopDir returns "name/" when every entry lies in one top-level folder.
func (s *source) singleTopDir() (string, bool) {
	if len(s.entries) == 0 || !s.entries[0].isDir() {
		return "", false
	}
	top := s.entries[0].name
	if strings.Count(top, "/") != 1 {
		return "", false
	}
	for _, e := range s.entries {
		if !strings.HasPrefix(e.name, top) {
			return "", false
		}
	}
	return top, true
}

// normalMode keeps the executable bit of a file mode and nothing else.
func normalMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return execMode
	}
	return fileMode
}

// listZip lists the entries of a zip without reading their content.
func listZip(role, input string) (*source, []Finding, error) {
	zr, err := zip.OpenReader(input)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, fmt.Errorf("open %s zip %s: %w (fix: pass --%s a folder or a "+
			"valid .zip file)", role, input, err, role)
	}
	l := zipLister{input: input, files: map[string]*zip.File{}, dirs: map[string]bool{}}
	for _, f := range zr.File {
		l.add(f)
	}
	entries := l.resolveAll()
	entries = append(entries, l.dirEntries()...)
	return newSource(input, entries, zr), l.findings, nil
}

// zipLister collects the entries of a zip and checks each one.
type zipLister struct {
	input    string
	files    map[string]*zip.File
	links    map[string]string
	dirs     map[string]bool
	order    []string
	findings []Finding
}

// macResourceDir holds the resource forks that macOS adds to the zips it makes; they
// are never part of a host or an app.
const macResourceDir = "__MACOSX/"

// add checks one zip entry and records it.
func (l *zipLister) add(f *zip.File) {
	name, ok := l.safeName(f.Name)
	if !ok || strings.HasPrefix(name, macResourceDir) {
		return
	}
	if f.Mode().IsDir() || strings.HasSuffix(name, "/") {
		l.dirs[strings.TrimSuffix(name, "/")] = true
		return
	}
	if _, dup := l.files[name]; dup {
		l.findings = append(l.findings, errorf(l.where(name),
			"rebuild the zip so that every path appears once",
			"entry appears more than once"))
		return
	}
	l.files[name] = f
	l.order = append(l.order, name)
	if f.Mode()&fs.ModeSymlink != 0 {
		l.addLink(name, f)
	}
}

// safeName cleans an entry name and rejects one that would land outside the folder.
func (l *zipLister) safeName(raw string) (string, bool) {
	name := strings.ReplaceAll(raw, `\`, "/")
	isDir := strings.HasSuffix(name, "/")
	fix := "rebuild the zip with paths relative to its top folder"
	if path.IsAbs(name) || hasDriveLetter(name) {
		l.findings = append(l.findings, errorf(l.where(raw), fix,
			"entry has an absolute path"))
		return "", false
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		l.findings = append(l.findings, errorf(l.where(raw), fix,
			"entry escapes its folder through '..'"))
		return "", false
	}
	if clean == "." {
		return "", false
	}
	if isDir {
		clean += "/"
	}
	return clean, true
}

// hasDriveLetter spots Windows absolute names such as "C:/x".
func hasDriveLetter(name string) bool {
	return len(name) >= 2 && name[1] == ':' &&
		(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z')
}

// where names a zip entry in findings.
func (l *zipLister) where(name string) string { return l.input + ": " + name }

// maxLinkTarget bounds what is read as a symlink's target.
const maxLinkTarget = 4096

// addLink records where a symlink entry points, rejecting targets outside the zip.
func (l *zipLister) addLink(name string, f *zip.File) {
	target, err := readSmall(f.Open, maxLinkTarget)
	if err != nil {
		l.findings = append(l.findings, errorf(l.where(name), "rebuild the zip",
			"symlink cannot be read: %v", err))
		return
	}
	t := strings.ReplaceAll(string(target), `\`, "/")
	resolved := path.Clean(path.Join(path.Dir(name), t))
	if path.IsAbs(t) || hasDriveLetter(t) || resolved == ".." ||
		strings.HasPrefix(resolved, "../") {
		l.findings = append(l.findings, errorf(l.where(name),
			"replace the link with a copy of its target inside the folder",
			"symlink points outside the folder (to %s)", t))
		delete(l.files, name)
		return
	}
	if l.links == nil {
		l.links = map[string]string{}
	}
	l.links[name] = resolved
}

// maxLinkHops bounds a chain of symlinks.
const maxLinkHops = 8

// resolveAll turns the recorded files into entries, replacing each symlink with the file it
// points to.
func (l *zipLister) resolveAll() []entry {
	entries := make([]entry, 0, len(l.order))
	for _, name := range l.order {
		if l.dirs[name] {
			l.findings = append(l.findings, errorf(l.where(name),
				"rebuild the zip so that a path is a file or a folder, not both",
				"entry is both a file and a folder"))
			continue
		}
		f, ok := l.target(name)
		if !ok {
			continue
		}
		entries = append(entries, entry{name: name, mode: normalMode(f.Mode()),
			size: int64(f.UncompressedSize64), open: f.Open})
	}
	return entries
}

// target follows name through symlinks to a regular file of the zip.
func (l *zipLister) target(name string) (*zip.File, bool) {
	cur := name
	for hop := 0; hop <= maxLinkHops; hop++ {
		f, ok := l.files[cur]
		if !ok && l.dirs[cur] {
			l.findings = append(l.findings, errorf(l.where(name),
				"zip the folder itself instead of a link to it (zip -r without -y)",
				"symlink to a folder inside a zip is not supported"))
			return nil, false
		}
		if !ok {
			// A missing first step is a link already rejected as pointing outside.
			if cur != name {
				l.findings = append(l.findings, errorf(l.where(name),
					"remove the link or add its target", "symlink points to nothing"))
			}
			return nil, false
		}
		next, isLink := l.links[cur]
		if !isLink {
			return f, true
		}
		cur = next
	}
	l.findings = append(l.findings, errorf(l.where(name), "remove the link loop",
		"symlinks form a loop or a chain longer than %d", maxLinkHops))
	return nil, false
}

// dirEntries returns the folders named explicitly in the zip.
func (l *zipLister) dirEntries() []entry {
	out := make([]entry, 0, len(l.dirs))
	for d := range l.dirs {
		out = append(out, entry{name: d + "/", mode: dirMode})
	}
	return out
}

// readSmall reads a whole entry that must not exceed limit bytes.
func readSmall(open func() (io.ReadCloser, error), limit int64) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
