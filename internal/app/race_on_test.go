//go:build race

package app

// raceEnabled: the race detector multiplies memory and time, so memory tests bound the
// Go heap instead of RSS and use smaller inputs.
const raceEnabled = true
