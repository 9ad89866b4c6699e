package bundle

import (
	"bytes"
	"embed"
	"text/template"
)

//go:embed scripts/install.sh.tmpl scripts/install.ps1.tmpl
var scriptFiles embed.FS

// scriptTemplates holds both install scripts, parsed once.
var scriptTemplates = template.Must(template.New("").Option("missingkey=error").
	ParseFS(scriptFiles, "scripts/*.tmpl"))

// scriptData is what the install scripts are rendered from. Every field is validated or
// computed by this package, so none needs quoting in shell or PowerShell.
type scriptData struct {
	Label      string
	HealthPort int
	ClientID   string
	HostSHA256 string
	AppSHA256  string
	HostDLL    string
}

// renderScript renders the install script for goos.
func renderScript(goos string, data scriptData) ([]byte, error) {
	name := "install.sh.tmpl"
	if goos == OSWindows {
		name = "install.ps1.tmpl"
	}
	var buf bytes.Buffer
	if err := scriptTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	if goos == OSWindows {
		// The script is plain ASCII; CRLF keeps it readable with the editors on the instance.
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	return out, nil
}
