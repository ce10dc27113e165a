// Package duration writes durations as people write them in settings: 5m, not 5m0s.
package duration

import (
	"strings"
	"time"
)

// Short writes 5m0s as 5m and 1h0m0s as 1h, as a setting's documentation and errors say them.
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
