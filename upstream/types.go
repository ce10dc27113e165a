package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The vendor's answers are hand-made and inconsistent (its own examples, kept in testdata/vendor,
// show it): the same field arrives as a string in one endpoint and as a number or null in
// another. The types below accept every spelling seen there, and never route a number through
// float64, because WeDa's 19-digit ids are above 2^53 and would be silently corrupted.

// ID is an upstream identifier. It decodes from a JSON string, a JSON number (kept digit for
// digit) or null (the empty ID), and always encodes as a JSON string.
type ID string

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*id = ""
	case b[0] == '"':
		s, err := jsonString(b)
		if err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = ID(strings.TrimSpace(s))
	case isJSONNumber(b):
		*id = ID(b)
	default:
		return fmt.Errorf("id: want a string or a number, got %.20s", b)
	}
	return nil
}

// jsonString reads a JSON string token. Most of WeDa's strings hold no escapes: those are their
// bytes between the quotes (the decoder has already checked the token), which saves decoding
// each one a second time; the rest, and any with invalid UTF-8, go through encoding/json.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		plain := true
		for _, c := range inner {
			if c < 0x20 || c == '\\' || c == '"' {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// String returns the id's text.
func (id ID) String() string { return string(id) }

// Int is an integer that arrives as a JSON number, a numeric string ("2") or null (zero).
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, _, err := parseFlexInt(b)
	if err != nil {
		return err
	}
	*n = Int(v)
	return nil
}

// OptInt is an integer that may be absent: null and "" decode to Valid=false. It keeps enum
// codes apart from "no code", so an unknown code is kept and a missing one is not invented.
type OptInt struct {
	Value int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *OptInt) UnmarshalJSON(b []byte) error {
	v, ok, err := parseFlexInt(b)
	if err != nil {
		return err
	}
	*n = OptInt{Value: v, Valid: ok}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n OptInt) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Value, 10), nil
}

// Some returns a valid OptInt.
func Some(v int64) OptInt { return OptInt{Value: v, Valid: true} }

func parseFlexInt(b []byte) (int64, bool, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return 0, false, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, false, fmt.Errorf("integer: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" || s == "null" {
			return 0, false, nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// "27.0"-style values: accept an integral decimal without going through float64.
		if whole, frac, ok := strings.Cut(string(b), "."); ok && strings.Trim(frac, "0") == "" {
			if v, err2 := strconv.ParseInt(whole, 10, 64); err2 == nil {
				return v, true, nil
			}
		}
		return 0, false, fmt.Errorf("integer: want a whole number, got %.20s", b)
	}
	return v, true, nil
}

// Text is a string that the vendor sometimes sends as a bool, a number or null (e.g. a flow's
// Description is typed bool in the table). Numbers and true keep their JSON text; null and false
// are "" (a Description of false means "none", not the word "false").
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte("false")):
		*t = ""
	case b[0] == '"':
		s, err := jsonString(b)
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		*t = Text(s)
	default:
		*t = Text(b)
	}
	return nil
}

// Bool is a boolean that may arrive as true/false, "true"/"false", 0/1 or null (false).
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*v = true
	case "false", "0", "", "null":
		*v = false
	default:
		return fmt.Errorf("bool: want true or false, got %.20s", s)
	}
	return nil
}

// Time is an upstream instant. It decodes epoch milliseconds (number or numeric string), the
// vendor's "2022-08-02T14:17:15.000+0800" layout, RFC 3339, null, "" and 0 ("not yet"); the
// last three give the zero Time, which IsZero reports.
// A zoneless "2006-01-02 15:04:05" is WeDa's wall clock, read in WedaZone; a client configured
// with another zone re-reads it there (Config.Zone).
type Time struct {
	time.Time
	zoneless bool
}

// WedaZone is the zone WeDa's zoneless times are in: China Standard Time, UTC+08:00.
var WedaZone = time.FixedZone("UTC+08:00", 8*60*60)

// zonelessLayout is the one spelling that carries no zone.
const zonelessLayout = "2006-01-02 15:04:05"

var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var err error
		if s, err = jsonString(b); err != nil {
			return fmt.Errorf("time: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time, t.zoneless = parsed, isZoneless(s)
	return nil
}

// isZoneless reports whether s is spelt as zonelessLayout: by its shape, since ParseTime has
// read it already, and a failed parse costs an allocated error.
func isZoneless(s string) bool {
	return len(s) == len(zonelessLayout) && s[10] == ' '
}

// In re-reads a zoneless time's wall clock in loc; a time that named its zone is unchanged.
func (t Time) In(loc *time.Location) Time {
	if !t.zoneless || t.IsZero() || loc == nil {
		return t
	}
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return Time{Time: time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), loc), zoneless: true}
}

// MarshalJSON encodes the time as epoch milliseconds (0 when zero), the form requests use.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("0"), nil
	}
	return strconv.AppendInt(nil, t.UnixMilli(), 10), nil
}

// layoutMayFit rules out a layout by s's length: the vendor's two layouts have fixed lengths,
// RFC 3339 a range.
func layoutMayFit(layout, s string) bool {
	if layout == time.RFC3339Nano {
		return len(s) >= len("2006-01-02T15:04:05Z")
	}
	return len(s) == len(layout)
}

// ParseTime reads any of the time spellings the upstream uses; "", "null" and "0" are the
// zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" || s == "null" || s == "0" {
		return time.Time{}, nil
	}
	if isJSONNumber([]byte(s)) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("time: epoch milliseconds %q: %w", s, err)
		}
		if ms == 0 {
			return time.Time{}, nil
		}
		return time.UnixMilli(ms), nil
	}
	if isZoneless(s) {
		if parsed, err := time.ParseInLocation(zonelessLayout, s, WedaZone); err == nil {
			return parsed, nil
		}
	}
	for _, layout := range timeLayouts {
		if !layoutMayFit(layout, s) {
			continue // a parse that must fail would allocate its error for nothing
		}
		if parsed, err := time.Parse(layout, s); err == nil {
			return parsed, nil
		}
	}
	return time.Time{}, fmt.Errorf("time: unknown layout %q", s)
}

// UserInfo names a WeDa user in requests: {"UserId": "...", "Type": 4}. Responses spell the
// source as "Type" or "Source"; both decode into Type.
type UserInfo struct {
	UserID ID
	Type   int
}

// MarshalJSON implements json.Marshaler. Nearly every read's body carries a UserInfo.
func (u UserInfo) MarshalJSON() ([]byte, error) {
	return u.appendJSON(make([]byte, 0, len(`{"UserId":"","Type":}`)+len(u.UserID)+4)), nil
}

func (u *UserInfo) appendJSON(b []byte) []byte {
	b = appendJSONString(append(b, `{"UserId":`...), string(u.UserID))
	b = strconv.AppendInt(append(b, `,"Type":`...), int64(u.Type), 10)
	return append(b, '}')
}

// User source codes of the workflow API's UserInfo, as the table of WeDa OpenAPI [3] 发起流程
// lists them; the sys_user model [1] codes WeCom as 3 (User.Type).
const (
	SourceTCB      = 1
	SourceWeCom    = 2
	SourceInternal = 4
)

// UnmarshalJSON implements json.Unmarshaler.
func (u *UserInfo) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*u = UserInfo{}
		return nil
	}
	var w struct {
		UserID ID     `json:"UserId"`
		Type   OptInt `json:"Type"`
		Source OptInt `json:"Source"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("user info: %w", err)
	}
	u.UserID = w.UserID
	switch {
	case w.Type.Valid:
		u.Type = int(w.Type.Value)
	case w.Source.Valid:
		u.Type = int(w.Source.Value)
	default:
		u.Type = 0
	}
	return nil
}

// JSONObject is a free-form JSON object (start parameters, page variables). Numbers inside stay
// json.Number, never float64.
type JSONObject map[string]any

// UnmarshalJSON implements json.Unmarshaler.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("object: %w", err)
	}
	*o = m
	return nil
}

func isJSONNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	i := 0
	if b[0] == '-' {
		i = 1
	}
	if i == len(b) {
		return false
	}
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}
