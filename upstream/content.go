package upstream

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Operation actions, an operation's ContentEntity.action in WeDa OpenAPI [8] 查询流程操作相关信息.
// Codes outside this list are kept as they come.
const (
	OpSubmit     = 1
	OpApprove    = 2
	OpReject     = 3
	OpTransfer   = 4
	OpRevoke     = 5
	OpRollback   = 6
	OpAddSign    = 7
	OpStop       = 8
	OpSkip       = 9
	OpHandle     = 13
	OpCarbonCopy = 15
	OpAbandon    = 16
	OpSaveDraft  = 17
)

// Person is an {id, name} pair from an operation's nested JSON (counter-signers).
type Person struct {
	ID   ID     `json:"id"`
	Name string `json:"name"`
}

// OperationContent is an operation's Content read into typed fields. Raw keeps the text as it
// came; Valid is false when the text could not be read as JSON even after mending, in which
// case only what could be recovered (the action, usually) is set.
type OperationContent struct {
	Action         OptInt
	Operation      string            // the "operation" text: revoke wording, or counter-signers JSON
	Comment        string            // operationComment
	CcUserIDs      []ID              // ccUserIds
	CounterSigners []Person          // operation, for add-sign (action 7)
	RevokeText     string            // operation, for revoke (action 5)
	Mentions       map[string]string // opinionUserMap: user id → "@name" mentioned in the comment
	Raw            string
	Valid          bool
}

type contentWire struct {
	Action           OptInt          `json:"action"`
	Operation        json.RawMessage `json:"operation"`
	OperationComment Text            `json:"operationComment"`
	CcUserIDs        []ID            `json:"ccUserIds"`
	OpinionUserMap   json.RawMessage `json:"opinionUserMap"`
}

var actionPattern = regexp.MustCompile(`"action"\s*:\s*"?(-?\d+)`)

// ParseOperationContent reads an operation's Content. It never fails: a text that is not JSON
// still yields its raw form and whatever fields could be recovered.
func ParseOperationContent(raw string) OperationContent {
	out := OperationContent{Raw: raw}
	text := strings.TrimSpace(raw)
	if text == "" || text == "null" {
		out.Valid = text == ""
		return out
	}
	var w contentWire
	if err := json.Unmarshal([]byte(text), &w); err != nil {
		mended := mendBareKeys(text)
		if err := json.Unmarshal([]byte(mended), &w); err != nil {
			if m := actionPattern.FindStringSubmatch(text); m != nil {
				_ = out.Action.UnmarshalJSON([]byte(m[1]))
			}
			return out
		}
	}
	out.Valid = true
	out.Action = w.Action
	out.Comment = string(w.OperationComment)
	out.CcUserIDs = w.CcUserIDs
	out.Operation = nestedString(w.Operation)
	if m := nestedObject(w.OpinionUserMap); len(m) > 0 {
		out.Mentions = make(map[string]string, len(m))
		for k, v := range m {
			var s Text
			if json.Unmarshal(v, &s) == nil {
				out.Mentions[k] = string(s)
			}
		}
	}
	switch {
	case strings.HasPrefix(strings.TrimSpace(out.Operation), "["):
		var people []Person
		if json.Unmarshal([]byte(out.Operation), &people) == nil {
			out.CounterSigners = people
		}
	case out.Action.Valid && out.Action.Value == OpRevoke:
		out.RevokeText = out.Operation
	}
	return out
}

// nestedString returns a field that may be a JSON string or inline JSON, as text.
func nestedString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// nestedObject reads a field that may be an object or a string holding one.
func nestedObject(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		return m
	}
	if s := nestedString(raw); s != "" {
		if json.Unmarshal([]byte(mendBareKeys(s)), &m) == nil {
			return m
		}
	}
	return nil
}

// mendBareKeys quotes object keys written without quotes ({1554724262350057473:"@x"}), the one
// way the vendor's own example breaks JSON. Text inside strings is left alone; a bare token is a
// key only when it follows '{' or ',' and is followed by ':'.
func mendBareKeys(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	inString, escaped := false, false
	var prev byte // last significant byte outside strings
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				prev = c
			}
			continue
		}
		if c == '"' {
			inString = true
			b.WriteByte(c)
			continue
		}
		if (prev == '{' || prev == ',') && isBareKeyByte(c) {
			j := i
			for j < len(s) && isBareKeyByte(s[j]) {
				j++
			}
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') {
				k++
			}
			if k < len(s) && s[k] == ':' {
				b.WriteByte('"')
				b.WriteString(s[i:j])
				b.WriteByte('"')
				i = j - 1
				prev = '"'
				continue
			}
		}
		b.WriteByte(c)
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			prev = c
		}
	}
	return b.String()
}

func isBareKeyByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '$'
}
