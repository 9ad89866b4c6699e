package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressEvery limits how often a progress line is redrawn.
const progressEvery = 200 * time.Millisecond

// progressLine redraws one status line on a terminal; elsewhere (a pipe, a log file, a
// test) it stays silent, so the output holds only results. A text that comes too soon
// after the last drawing is drawn when the interval ends, so the line never stays behind
// when reports stop, as they do while one large file is worked on.
type progressLine struct {
	mu      sync.Mutex
	w       io.Writer
	on      bool
	drawn   time.Time
	width   int
	pending string
	timer   *time.Timer
	cleared bool
}

func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, on: isTerminal(w)}
}

// show draws text now, or at the end of the interval since the last drawing.
func (p *progressLine) show(text string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cleared {
		return
	}
	p.pending = text
	wait := progressEvery - time.Since(p.drawn)
	if wait <= 0 {
		p.draw()
		return
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(wait, p.drawLate)
	}
}

// drawLate draws the text that came too soon.
func (p *progressLine) drawLate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = nil
	if !p.cleared && p.pending != "" {
		p.draw()
	}
}

// draw writes the pending text over the line; the caller holds the lock.
func (p *progressLine) draw() {
	text := p.pending
	p.drawn, p.pending = time.Now(), ""
	pad := max(0, p.width-len(text))
	fmt.Fprintf(p.w, "\r%s%s", text, strings.Repeat(" ", pad))
	p.width = len(text)
}

// clear removes the line so that what follows starts on a clean one; later texts are not
// drawn.
func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleared = true
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.on && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}
