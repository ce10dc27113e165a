package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reading WeDa's answers: the workflow API wraps each in an envelope, the OData service answers
// bare; both have their own error shapes, and proxies in between have theirs.

// envelope is the workflow API's wrapper around every answer.
type envelope struct {
	Response *struct {
		RequestID string          `json:"RequestId"`
		Error     *envelopeError  `json:"Error"`
		Data      json.RawMessage `json:"Data"`
	} `json:"Response"`
}

type envelopeError struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"-"`
}

// decodeWorkflow reads a workflow API answer: the envelope's error, else its Data into out.
func decodeWorkflow(endpoint string, resp *http.Response, raw []byte, requestID string, out any) error {
	var env envelope
	if err := decode(raw, &env); err != nil || env.Response == nil {
		return statusOrBadResponse(endpoint, resp, raw, requestID, err)
	}
	r := env.Response
	if r.RequestID != "" {
		requestID = r.RequestID
	}
	if rs, ok := out.(interface{ setRequestID(string) }); ok {
		rs.setRequestID(requestID)
	}
	if r.Error != nil && r.Error.Code != "" {
		return upstreamCodeError(endpoint, resp, r.Error.Code, r.Error.Message, requestID)
	}
	if resp.StatusCode >= 300 {
		return statusOrBadResponse(endpoint, resp, raw, requestID, nil)
	}
	if out == nil || len(r.Data) == 0 || bytes.Equal(r.Data, []byte("null")) {
		return nil
	}
	return decodeInto(endpoint, resp.StatusCode, requestID, r.Data, out)
}

// decodeInto reads an answer's data into out, or keeps the raw bytes when out is a shared
// call's answer, which each waiter then decodes into its own values.
func decodeInto(endpoint string, status int, requestID string, data []byte, out any) error {
	if a, ok := out.(*sharedAnswer); ok {
		a.keep(data, status)
		return nil
	}
	if err := decode(data, out); err != nil {
		return &Error{Endpoint: endpoint, HTTPStatus: status, Kind: KindBadResponse, RequestID: requestID,
			Message: "answer does not match the documented shape: " + err.Error(), Err: err}
	}
	return nil
}

// decode is the one place WeDa's answers are turned into Go values: a faster decoder goes here
// or nowhere. goccy/go-json halved BenchmarkDecodeWorkItems (every type's UnmarshalJSON still
// ran, a differential fuzz against encoding/json found no difference), but the gateway's inbox
// gained under a tenth for 600 more allocations and an unsafe-based dependency: not taken.
func decode(data []byte, out any) error {
	return json.Unmarshal(data, out)
}

// statusOrBadResponse explains an answer that is not a readable envelope: by its status when
// that says enough (401, 429, 5xx), else as a bad response naming the status.
func statusOrBadResponse(endpoint string, resp *http.Response, raw []byte, requestID string, cause error) error {
	if ee, ok := decodeEnvelopeError(raw); ok {
		return upstreamCodeError(endpoint, resp, ee.Code, ee.Message, firstNonEmpty(ee.RequestID, requestID))
	}
	kind := kindForCode("", resp.StatusCode)
	if resp.StatusCode < 300 || kind == KindUnknown || kind == KindInvalidInput || kind == KindNotFound {
		kind = KindBadResponse
	}
	msg := fmt.Sprintf("HTTP %d with an unreadable answer", resp.StatusCode)
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		msg += " (" + ct + ")"
	}
	e := &Error{Endpoint: endpoint, HTTPStatus: resp.StatusCode, Kind: kind, RequestID: requestID, Message: msg, Err: cause}
	withRetryAfter(e, resp)
	return e
}

func upstreamCodeError(endpoint string, resp *http.Response, code, msg, requestID string) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: resp.StatusCode, Code: code, Message: msg, RequestID: requestID,
		Kind: kindForCode(code, resp.StatusCode)}
	withRetryAfter(e, resp)
	return e
}

func withRetryAfter(e *Error, resp *http.Response) {
	if e.Kind != KindRateLimited && e.Kind != KindUnavailable {
		return
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && secs >= 0 {
			e.Err = retryAfter{time.Duration(secs) * time.Second}
		} else if t, err := http.ParseTime(s); err == nil {
			e.Err = retryAfter{max(time.Until(t), 0)}
		}
	}
}

// decodeEnvelopeError finds an error in any of the shapes the upstream uses: the workflow
// envelope, a flat {"code","message"} (OData), or {"error":{"code","message"}}.
func decodeEnvelopeError(raw []byte) (envelopeError, bool) {
	var w struct {
		Response *struct {
			RequestID string         `json:"RequestId"`
			Error     *envelopeError `json:"Error"`
		} `json:"Response"`
		Code      Text           `json:"code"`
		Message   string         `json:"message"`
		RequestID string         `json:"requestId"`
		Error     *envelopeError `json:"error"`
	}
	if json.Unmarshal(raw, &w) != nil {
		return envelopeError{}, false
	}
	switch {
	case w.Response != nil && w.Response.Error != nil && w.Response.Error.Code != "":
		e := *w.Response.Error
		e.RequestID = w.Response.RequestID
		return e, true
	case w.Code != "" && w.Code != "0":
		return envelopeError{Code: string(w.Code), Message: w.Message, RequestID: w.RequestID}, true
	case w.Error != nil && w.Error.Code != "":
		return *w.Error, true
	}
	return envelopeError{}, false
}

// decodeOData reads the OData service's answers: the bare value on success, a flat
// {"code","message"} (or {"error":{...}}) on failure.
func decodeOData(endpoint string, resp *http.Response, raw []byte, requestID string, out any) error {
	if ee, ok := decodeEnvelopeError(raw); ok {
		return upstreamCodeError(endpoint, resp, ee.Code, ee.Message, firstNonEmpty(ee.RequestID, requestID))
	}
	if resp.StatusCode >= 300 {
		return statusOrBadResponse(endpoint, resp, raw, requestID, nil)
	}
	return decodeInto(endpoint, resp.StatusCode, requestID, raw, out)
}
