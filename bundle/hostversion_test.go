package bundle

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

func TestScanFileVersion(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		want   string
		wantOK bool
	}{
		{"near the start", fakeDLL(4<<16|1036, 1<<16|23224, 100), "4.1036.1.23224", true},
		// The key straddles the first chunk boundary.
		{"across chunks", fakeDLL(1<<16|2, 3<<16|4, scanChunk-10), "1.2.3.4", true},
		{"far into the file", fakeDLL(9<<16, 0, 5*scanChunk), "9.0.0.0", true},
		{"no resource", bytes.Repeat([]byte("MZ"), 1000), "", false},
		{"key without signature", append(append([]byte{}, versionInfoKey...),
			make([]byte, 40)...), "", false},
		{"zero version", fakeDLL(0, 0, 10), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per read: the scanner must not rely on read sizes.
			got, ok := scanFileVersion(iotest.OneByteReader(bytes.NewReader(tt.data)))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("scanFileVersion = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestHostVersionFallsBackToDeps(t *testing.T) {
	tests := []struct {
		name string
		deps string
		want string
	}{
		{"deps entry", `{"libraries":{"Other/1.0":{},` +
			`"Microsoft.Azure.WebJobs.Script.WebHost/4.1037.0":{"type":"project"}}}`, "4.1037.0"},
		{"no entry", `{"libraries":{"Other/1.0":{}}}`, ""},
		{"not JSON", `{`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource("host", []entry{
				memEntry(WebHostDLL, "no version resource here"),
				memEntry("Microsoft.Azure.WebJobs.Script.WebHost.deps.json", tt.deps),
			}, nil)
			if got := hostVersion(src); got != tt.want {
				t.Errorf("hostVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

// memEntry is an entry whose content is body.
func memEntry(name, body string) entry {
	return entry{name: name, mode: fileMode, size: int64(len(body)),
		open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader([]byte(body))), nil
		}}
}
