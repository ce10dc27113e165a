package upstream

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// call describes one upstream request.
type call struct {
	endpoint string // for errors and metrics
	method   string
	path     string // below the base URL
	query    url.Values
	body     any  // JSON-encoded when non-nil
	write    bool // never retried
	odata    bool // the OData service: flat errors, no envelope
}

func (c *Client) do(ctx context.Context, cl call, out any) error {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = encodeBody(cl.body); err != nil {
			return &Error{Endpoint: cl.endpoint, Kind: KindInvalidInput, Message: "encoding request", Err: err}
		}
	}
	if c.flights != nil {
		if !cl.write {
			return c.shared(ctx, cl, payload, out)
		}
		c.flights.writes.Add(1) // reads from now on start calls of their own
	}
	return c.send(ctx, cl, payload, newRequestID(), out)
}

// send makes the call, retrying a read as its error allows.
func (c *Client) send(ctx context.Context, cl call, payload []byte, requestID string, out any) error {
	attempts := c.attempts
	if cl.write {
		attempts = 1
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = c.attempt(ctx, cl, payload, requestID, out)
		var ue *Error
		if err == nil || attempt >= attempts || !errors.As(err, &ue) || !ue.Retryable() {
			return err
		}
		wait := c.backoff(attempt, ue)
		if wait < 0 { // Retry-After beyond what we are willing to wait
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// retryAfter carries a parsed Retry-After header through the error's cause.
type retryAfter struct{ d time.Duration }

func (r retryAfter) Error() string { return "retry after " + r.d.String() }

// backoff returns the wait before attempt+1: capped exponential with full jitter, or the
// upstream's Retry-After when it gave one (-1 if that exceeds the cap).
func (c *Client) backoff(attempt int, e *Error) time.Duration {
	var ra retryAfter
	if errors.As(e.Err, &ra) {
		if ra.d > c.maxDelay {
			return -1
		}
		return ra.d
	}
	ceiling := c.delay << (attempt - 1)
	if ceiling > c.maxDelay || ceiling <= 0 {
		ceiling = c.maxDelay
	}
	return ceiling/2 + rand.N(ceiling/2+1)
}

// attempt sends the call once, within the per-attempt timeout, and reads its answer into out.
func (c *Client) attempt(ctx context.Context, cl call, payload []byte, requestID string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// Only this request's own body being read by the transport marks a write as sent: a token
	// fetch that runs first, or a dial that fails, leaves it unsent.
	body := &trackedBody{payload: payload}
	req, err := c.newRequest(ctx, cl, body, requestID)
	if err != nil {
		return &Error{Endpoint: cl.endpoint, Kind: KindInvalidInput, Message: "building request", Err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *Error
		if errors.As(err, &ue) { // the token source failed
			return ue
		}
		return transportError(cl.endpoint, requestID, err, cl.write && body.sent())
	}
	defer resp.Body.Close()
	return c.readAnswer(cl, resp, requestID, out)
}

// newRequest builds one attempt's HTTP request; body holds the payload, nil for none.
func (c *Client) newRequest(ctx context.Context, cl call, body *trackedBody, requestID string) (*http.Request, error) {
	u := *c.base
	u.Path += cl.path
	if cl.query != nil {
		u.RawQuery = cl.query.Encode()
	}
	var reader io.Reader
	if body.payload != nil {
		reader = body.open()
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-Id", requestID)
	if body.payload != nil {
		req.ContentLength = int64(len(body.payload))
		req.GetBody = func() (io.ReadCloser, error) { return body.open(), nil }
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	return req, nil
}

// readAnswer reads an answer, within the size cap, into out, or explains why it cannot.
func (c *Client) readAnswer(cl call, resp *http.Response, requestID string, out any) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		e := transportError(cl.endpoint, requestID, err, cl.write)
		e.HTTPStatus = resp.StatusCode
		if e.Kind != KindTimeout && !errors.Is(err, context.Canceled) {
			e.Message = fmt.Sprintf("the answer (HTTP %d) was cut off", resp.StatusCode)
		}
		return e
	}
	if int64(len(raw)) > c.maxBody {
		return &Error{Endpoint: cl.endpoint, HTTPStatus: resp.StatusCode, Kind: KindBadResponse, RequestID: requestID,
			Message: fmt.Sprintf("answer larger than %d bytes", c.maxBody), OutcomeUnknown: cl.write}
	}
	if cl.odata {
		err = decodeOData(cl.endpoint, resp, raw, requestID, out)
	} else {
		err = decodeWorkflow(cl.endpoint, resp, raw, requestID, out)
	}
	if err == nil {
		rezone(out, c.zone)
		return nil
	}
	// A write answered with no WeDa verdict (an empty, unreadable or mis-shaped 200, a proxy's
	// 5xx page) was received and may have been carried out.
	var ue *Error
	if cl.write && errors.As(err, &ue) && ue.Code == "" && (resp.StatusCode < 300 || resp.StatusCode >= 500) {
		ue.OutcomeUnknown = true
	}
	return err
}

// trackedBody hands the transport a write's body and remembers whether the latest copy of it
// was read, i.e. whether the request went out. A resend after a 401 opens a fresh copy.
type trackedBody struct {
	payload []byte
	opened  atomic.Int64
	read    atomic.Int64
}

func (b *trackedBody) open() io.ReadCloser {
	return &trackedReader{r: bytes.NewReader(b.payload), body: b, gen: b.opened.Add(1)}
}

func (b *trackedBody) sent() bool {
	n := b.opened.Load()
	return n > 0 && b.read.Load() == n
}

type trackedReader struct {
	r    *bytes.Reader
	body *trackedBody
	gen  int64
}

func (t *trackedReader) Read(p []byte) (int, error) {
	t.body.read.Store(t.gen)
	return t.r.Read(p)
}

func (t *trackedReader) Close() error { return nil }

// transportError explains a call that got no answer; sent says the request went out, so a
// write's outcome is unknown.
func transportError(endpoint, requestID string, err error, sent bool) *Error {
	e := &Error{Endpoint: endpoint, RequestID: requestID, Kind: KindUnavailable, Err: err, OutcomeUnknown: sent}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		e.Message = "canceled by the caller"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Kind, e.Message = KindTimeout, "no answer in time"
	case sent:
		e.Message = "the connection broke after the request was sent"
	default:
		e.Message = "could not reach the upstream"
	}
	return e
}

func newRequestID() string {
	var b [12]byte
	_, _ = cryptorand.Read(b[:])
	return hex.EncodeToString(b[:])
}
