package gateway_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds a Chromium to drive. CI installs Debian's and sets REQUIRE_BROWSER=1, so
// there a missing browser fails the test instead of skipping it.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found; install Debian's chromium package")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium); CI runs this test")
	return ""
}

// TestGraphiQLRunsAQueryOffline opens GraphiQL in headless Chromium, with every host but the
// loopback unresolvable, runs the default query and sees the sandbox's demo user in the result.
func TestGraphiQLRunsAQueryOffline(t *testing.T) {
	browser := chromiumPath(t)
	_, srv := newEmbedded(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(profileDir(t)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var result string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(".graphiql-execute-button", chromedp.ByQuery),
		chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
		chromedp.Poll(`(() => { const r = document.querySelector('.result-window');
			return r && r.innerText.includes('"workItems"') })()`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text(".result-window", &result, chromedp.ByQuery),
	)
	require.NoError(t, err)
	assert.Contains(t, result, `"name": "kongtest"`, "the demo user's inbox, through the prefilled header")
	assert.Contains(t, result, `"totalCount": 24`)
	assert.NotContains(t, result, `"errors"`)
}

// profileDir is a fresh Chromium profile. Chromium's helpers may still be writing to it just
// after the browser is stopped, so the clean-up retries for a moment instead of failing.
func profileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "graphiql-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}
