package sim

import "time"

// clock maps real time to simulated time: sim = start + (real - realStart) × speed.
// It holds no mutable state, so reading it needs no lock.
type clock struct {
	real      func() time.Time
	realStart time.Time
	start     time.Time
	speed     float64
}

// newClock builds a clock. A nil source means time.Now, a zero start means the source's
// current time, and a speed that is not positive means real time.
func newClock(source func() time.Time, start time.Time, speed float64) clock {
	if source == nil {
		source = time.Now
	}
	realStart := source()
	if start.IsZero() {
		start = realStart
	}
	if speed <= 0 {
		speed = 1
	}
	return clock{real: source, realStart: realStart, start: start.UTC(), speed: speed}
}

// now returns the current simulated time. Real time earlier than when the clock was made
// (a test clock moved back, a wall-clock step) reads as the start, so simulated time never
// precedes the fleet it was built for.
func (c clock) now() time.Time {
	elapsed := c.real().Sub(c.realStart)
	if elapsed < 0 {
		elapsed = 0
	}
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}
