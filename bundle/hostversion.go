package bundle

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// fixedFileInfoSignature opens the VS_FIXEDFILEINFO block of a Windows version resource.
const fixedFileInfoSignature = 0xFEEF04BD

// versionInfoKey is the UTF-16LE key "VS_VERSION_INFO" with its terminating zero. The fixed
// file info follows it after at most 2 bytes of padding.
var versionInfoKey = utf16LE("VS_VERSION_INFO\x00")

// scanChunk is how much of the dll is looked at per read.
const scanChunk = 64 << 10

// fixedInfoTail is how many bytes after the key are needed: padding, signature, struct
// version and the two file version words.
const fixedInfoTail = 2 + 16

// hostVersion reads the host's version: the file version in the WebHost dll's version
// resource, else the WebHost entry of its deps.json, else "".
func hostVersion(host *source) string {
	if e, ok := host.lookup(WebHostDLL); ok {
		if v := dllVersion(e); v != "" {
			return v
		}
	}
	depsName := strings.TrimSuffix(WebHostDLL, ".dll") + ".deps.json"
	if e, ok := host.lookup(depsName); ok {
		return depsVersion(e)
	}
	return ""
}

// dllVersion streams the dll looking for its version resource, holding one chunk at a time.
func dllVersion(e entry) string {
	rc, err := e.open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	v, _ := scanFileVersion(rc)
	return v
}

// scanFileVersion finds the first VS_FIXEDFILEINFO in r and returns its file version as
// "major.minor.build.revision".
func scanFileVersion(r io.Reader) (string, bool) {
	keep := len(versionInfoKey) + fixedInfoTail
	buf := make([]byte, 0, scanChunk+keep)
	chunk := make([]byte, scanChunk)
	for {
		n, err := io.ReadFull(r, chunk)
		buf = append(buf, chunk[:n]...)
		if v, ok := findFixedFileInfo(buf); ok {
			return v, true
		}
		if err != nil {
			return "", false
		}
		if len(buf) > keep {
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
	}
}

// findFixedFileInfo looks for the version key followed by the fixed info signature in b.
func findFixedFileInfo(b []byte) (string, bool) {
	for off := 0; ; {
		i := bytes.Index(b[off:], versionInfoKey)
		if i < 0 {
			return "", false
		}
		p := off + i + len(versionInfoKey)
		for _, pad := range []int{0, 2} {
			if v, ok := fixedInfoAt(b, p+pad); ok {
				return v, true
			}
		}
		off = p
	}
}

// fixedInfoAt decodes a VS_FIXEDFILEINFO starting at b[p], if one is there.
func fixedInfoAt(b []byte, p int) (string, bool) {
	if p+16 > len(b) || binary.LittleEndian.Uint32(b[p:]) != fixedFileInfoSignature {
		return "", false
	}
	ms := binary.LittleEndian.Uint32(b[p+8:])
	ls := binary.LittleEndian.Uint32(b[p+12:])
	if ms == 0 && ls == 0 {
		return "", false
	}
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), true
}

// depsVersion reads the version of the WebHost library from a deps.json, whose "libraries"
// keys look like "Microsoft.Azure.WebJobs.Script.WebHost/4.1036.1".
func depsVersion(e entry) string {
	data, err := readSmall(e.open, 4*maxConfigFile)
	if err != nil {
		return ""
	}
	var deps struct {
		Libraries map[string]json.RawMessage `json:"libraries"`
	}
	if json.Unmarshal(data, &deps) != nil {
		return ""
	}
	prefix := strings.TrimSuffix(WebHostDLL, ".dll") + "/"
	for name := range deps.Libraries {
		if v, ok := strings.CutPrefix(name, prefix); ok {
			return v
		}
	}
	return ""
}

// utf16LE encodes s as UTF-16 little endian.
func utf16LE(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(out[2*i:], u)
	}
	return out
}
