// Package theme holds every style of the console. Each state is drawn as a glyph and a word
// beside its colour, so the screen reads the same without colour (NO_COLOR, TERM=screen).
package theme

import (
	"sync"

	"github.com/charmbracelet/lipgloss"
)

// Colours, chosen to stay readable on dark and light terminals.
var (
	green  = lipgloss.AdaptiveColor{Light: "#1a7f37", Dark: "#3fb950"}
	red    = lipgloss.AdaptiveColor{Light: "#cf222e", Dark: "#f85149"}
	yellow = lipgloss.AdaptiveColor{Light: "#9a6700", Dark: "#d29922"}
	blue   = lipgloss.AdaptiveColor{Light: "#0969da", Dark: "#58a6ff"}
	grey   = lipgloss.AdaptiveColor{Light: "#6e7781", Dark: "#8b949e"}
)

// Styles of the frame around the screens.
var (
	Title     = lipgloss.NewStyle().Bold(true)
	Header    = lipgloss.NewStyle().Bold(true).Foreground(blue)
	Dim       = lipgloss.NewStyle().Foreground(grey)
	Selected  = lipgloss.NewStyle().Reverse(true)
	HelpKey   = lipgloss.NewStyle().Bold(true)
	ErrorLine = lipgloss.NewStyle().Foreground(red)
	WarnLine  = lipgloss.NewStyle().Foreground(yellow)
	OKLine    = lipgloss.NewStyle().Foreground(green)
)

// Tone is how good or bad a state is.
type Tone int

// Tones, from good to unknown.
const (
	Good Tone = iota
	Busy
	Bad
	Unknown
	// Info is a neutral fact, neither good nor bad (an instance added).
	Info
)

// Glyph returns the mark drawn before a state word of the tone.
func (t Tone) Glyph() string {
	switch t {
	case Good:
		return "●"
	case Busy:
		return "◐"
	case Bad:
		return "✗"
	case Info:
		return "•"
	default:
		return "?"
	}
}

// Style returns the colour of the tone.
func (t Tone) Style() lipgloss.Style {
	switch t {
	case Good:
		return OKLine
	case Busy:
		return WarnLine
	case Bad:
		return ErrorLine
	case Info:
		return Header
	default:
		return Dim
	}
}

// stateCache keeps rendered state words: a table of thousands of rows draws the same few
// dozen of them, and styling each afresh is most of a frame's cost.
var stateCache sync.Map // stateKey → string

type stateKey struct {
	tone Tone
	word string
}

// State renders a glyph and word in the tone's colour, e.g. "● running".
func State(t Tone, word string) string {
	k := stateKey{t, word}
	if s, ok := stateCache.Load(k); ok {
		return s.(string)
	}
	s := t.Style().Render(t.Glyph() + " " + word)
	stateCache.Store(k, s)
	return s
}

// StateWidth is the display width State gives a word, without styling codes.
func StateWidth(word string) int {
	return lipgloss.Width(word) + 2
}
