package gateway_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
)

// TestAnonymousFloodIsLimitedBeforeAuthentication: requests without credentials are counted by
// address before any token is looked at, so a flood gets 429s, not an endless run of 401s.
func TestAnonymousFloodIsLimitedBeforeAuthentication(t *testing.T) {
	h := newHarness(t, jwtMode, func(c *gateway.Config) { c.Limits.AddressRate, c.Limits.RateWindow = 2, time.Minute })
	statuses := map[int]int{}
	for range 10 {
		status, res := h.raw(nil, gqlBody(`{ viewer { id } }`, nil))
		statuses[status]++
		if status == http.StatusTooManyRequests {
			assert.Equal(t, "RATE_LIMITED", res.Errors[0].Extensions["code"])
		}
	}
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 2, http.StatusTooManyRequests: 8}, statuses)
	assert.Empty(t, h.calls.calls())
}

// unauthenticated sends a request that names no user (header mode, introspection off): 401 until
// its address is over its budget, then 429.
func unauthenticated(h *harness, hdr map[string]string) int {
	status, _ := h.raw(hdr, gqlBody(`{ __typename }`, nil))
	return status
}

func addressLimit(n int, trusted ...string) func(*gateway.Config) {
	return func(c *gateway.Config) {
		c.Limits.AddressRate, c.Limits.RateWindow = n, time.Minute
		for _, p := range trusted {
			c.Limits.TrustedProxies = append(c.Limits.TrustedProxies, netip.MustParsePrefix(p))
		}
	}
}

// TestForwardedForIsBelievedOnlyFromTrustedProxies: the test's requests come from 127.0.0.1.
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Run("spoofed from an untrusted peer: one budget whatever the header says", func(t *testing.T) {
		h := newHarness(t, addressLimit(2, "10.0.0.0/8"))
		var got []int
		for i := range 4 {
			got = append(got, unauthenticated(h, map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}))
		}
		assert.Equal(t, []int{401, 401, 429, 429}, got)
	})
	t.Run("from a trusted proxy: each client its own budget", func(t *testing.T) {
		h := newHarness(t, addressLimit(2, "127.0.0.0/8"))
		for i := range 4 {
			assert.Equal(t, 401, unauthenticated(h, map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}))
		}
		assert.Equal(t, 401, unauthenticated(h, map[string]string{"X-Forwarded-For": "198.51.100.7, 127.0.0.5"}),
			"a second trusted hop is skipped")
		assert.Equal(t, 401, unauthenticated(h, map[string]string{"X-Forwarded-For": "198.51.100.7"}))
		assert.Equal(t, 429, unauthenticated(h, map[string]string{"X-Forwarded-For": "198.51.100.7"}), "both named one client")
	})
}

// TestAddressBudgetIsSharedAcrossReplicas: two replicas, one Redis, one budget per address.
func TestAddressBudgetIsSharedAcrossReplicas(t *testing.T) {
	_, hs := replicas(t, 2, func(c *gateway.Config) { c.Limits.AddressRate, c.Limits.RateWindow = 3, time.Minute })
	var got []int
	for i := range 4 {
		got = append(got, unauthenticated(hs[i%2], nil))
	}
	assert.Equal(t, []int{401, 401, 401, 429}, got, "one address, across both replicas")
}

// TestOfficeBehindOneAddress: the address stage counts only requests that end without a viewer.
// 500 users behind one address (an office's NAT), each within their own limit, are all served;
// 1,000 requests from that address with no token or a bad one are cut at the address stage,
// past its budget, with no call to WeDa.
func TestOfficeBehindOneAddress(t *testing.T) {
	const users, addressBudget = 500, 20
	h := newHarness(t, jwtMode, func(c *gateway.Config) {
		c.Limits.AddressRate, c.Limits.RateRequests, c.Limits.RateWindow = addressBudget, 3, time.Minute
	})
	tokens := make([]map[string]string, users)
	for i := range tokens {
		tokens[i] = bearer(sign(t, claims(fmt.Sprintf("office-user-%d", i), nil)))
	}
	statuses := statusCounts(2*users, func(i int) int {
		status, _ := h.raw(tokens[i%users], gqlBody(`{ viewer { id } }`, nil))
		return status
	})
	assert.Equal(t, map[int]int{http.StatusOK: 2 * users}, statuses, "every user served: two requests each, within their limit of 3")

	h.calls.reset()
	statuses = statusCounts(1000, func(i int) int {
		hdr := map[string]string(nil) // no credentials
		if i%2 == 1 {
			hdr = bearer("not.a.jwt") // failing authentication
		}
		status, _ := h.raw(hdr, gqlBody(`{ viewer { id } }`, nil))
		return status
	})
	assert.Equal(t, map[int]int{http.StatusUnauthorized: addressBudget, http.StatusTooManyRequests: 1000 - addressBudget}, statuses)
	assert.Empty(t, h.calls.calls(), "no call to WeDa")
}

// statusCounts runs n requests, one after another (the address stage counts a request after it
// ends: sequential requests make the counts exact), and counts their statuses.
func statusCounts(n int, do func(i int) int) map[int]int {
	out := map[int]int{}
	for i := range n {
		out[do(i)]++
	}
	return out
}

func TestLowerCaseBearerScheme(t *testing.T) {
	h := newHarness(t, jwtMode)
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		status, res := h.raw(map[string]string{"Authorization": scheme + " " + sign(t, claims(h.me, nil))}, gqlBody(`{ viewer { id } }`, nil))
		assert.Equal(t, 200, status, scheme)
		assert.Empty(t, res.Errors, scheme)
	}
}

func TestSuggestionsOnlyWithIntrospection(t *testing.T) {
	for _, on := range []bool{false, true} {
		h := newHarness(t, func(c *gateway.Config) { c.Introspection = &on })
		_, res := h.raw(map[string]string{"X-Weda-User-Id": h.me}, gqlBody(`{ viewer { workItemCount { todo } } }`, nil))
		require.NotEmpty(t, res.Errors)
		assert.Equal(t, on, strings.Contains(res.Errors[0].Message, "Did you mean"), "introspection %v: %s", on, res.Errors[0].Message)
	}
}

// TestSandboxAllowsLocalDevServers: a Vite dev server on localhost:5173 may call the sandbox
// gateway from the browser; other origins may not.
func TestSandboxAllowsLocalDevServers(t *testing.T) {
	_, srv := newEmbedded(t)
	preflight := func(origin string) string {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-weda-user-id")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	for _, o := range []string{"http://localhost:5173", "http://127.0.0.1:3000"} {
		assert.Equal(t, o, preflight(o))
	}
	for _, o := range []string{"https://evil.example.test", "http://localhost.evil.example.test"} {
		assert.Empty(t, preflight(o), o)
	}
}
