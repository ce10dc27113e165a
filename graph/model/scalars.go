// Package model holds the graph's Go types: hand-written models (models.go) for the types with
// edges, and the types gqlgen generates (models_gen.go) for the rest.
package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// DateTimeLayout is how every instant leaves the gateway: RFC 3339, UTC, milliseconds.
const DateTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalDateTime writes the DateTime scalar.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(DateTimeLayout)))
	})
}

// UnmarshalDateTime reads the DateTime scalar from RFC 3339 text.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("DateTime must be an RFC 3339 string such as 2022-08-02T06:17:15Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("DateTime %q is not RFC 3339 (e.g. 2022-08-02T06:17:15Z)", s)
	}
	return t, nil
}

// MarshalJSON writes the JSON scalar. Numbers decoded as json.Number keep every digit.
func MarshalJSON(v any) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSON reads the JSON scalar: any JSON value.
func UnmarshalJSON(v any) (any, error) { return v, nil }

// Time returns a pointer to t, or nil for the zero time ("not yet").
func Time(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Str returns a pointer to s, or nil when s is empty.
func Str[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}
