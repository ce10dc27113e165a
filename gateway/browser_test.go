package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream"
	"github.com/wedagraph/gateway/upstream/sandbox"
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

// browser is a headless Chromium for which every host but the loopback is unresolvable, so the
// page works only with what the gateway serves. It records what the page reports as errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(profileDir(t)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // a bound on a hung browser, not a measurement
	t.Cleanup(cancelTimeout)
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Error()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				msg = "console.error: " + strings.Join(args, " ")
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError {
				msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	require.NoError(t, chromedp.Run(ctx, log.Enable()))
	return b
}

// pageErrors is what the page itself has reported so far.
func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// run runs actions, failing the test with the page's errors if one fails.
func (b *browser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	require.NoError(t, chromedp.Run(b.ctx, actions...), "errors the page reported: %q", b.pageErrors())
}

// screenshot saves the page as a PNG in the temporary directory and logs where.
func (b *browser) screenshot(t *testing.T, name string) {
	var png []byte
	b.run(t, chromedp.FullScreenshot(&png, 100)) // 100 makes a PNG, anything less a JPEG
	path := filepath.Join(os.TempDir(), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// shownErrors finds what GraphiQL shows as an error: the Docs pane's "Error fetching schema",
// a dialog, or a message in the result pane that is not a GraphQL answer.
const shownErrors = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('.graphiql-doc-explorer-error, [role=alertdialog], .graphiql-dialog')) {
    if (el.innerText.trim()) out.push(el.innerText.trim());
  }
  const r = document.querySelector('.result-window .CodeMirror');
  const text = r ? r.CodeMirror.getValue() : '';
  if (text && !text.trim().startsWith('{')) out.push(text.slice(0, 300));
  return out;
})()`

func (b *browser) assertNoShownErrors(t *testing.T) {
	t.Helper()
	var shown []string
	b.run(t, chromedp.Evaluate(shownErrors, &shown))
	assert.Empty(t, shown, "errors shown in the page")
}

// execute puts an operation and its variables in GraphiQL's editors, presses ▶ and returns the
// result pane's text once the run has ended and the pane has changed.
func (b *browser) execute(t *testing.T, query string, vars map[string]any) string {
	t.Helper()
	varText := ""
	if vars != nil {
		v, err := json.MarshalIndent(vars, "", "  ")
		require.NoError(t, err)
		varText = string(v)
	}
	var before string
	b.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => {
  document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(%q);
  // The variables editor comes first in the editor tools, the headers editor second.
  document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[0].CodeMirror.setValue(%q);
  const r = document.querySelector('.result-window .CodeMirror');
  return r ? r.CodeMirror.getValue() : '';
})()`, query, varText), &before))
	// GraphiQL reads the operation's name from the editor a moment after an edit (debounced):
	// press ▶ once it has, or it would send the previous operation's name.
	name := operationName.FindStringSubmatch(query)
	require.NotNil(t, name, "a named operation")
	var after string
	b.run(t,
		chromedp.Poll(fmt.Sprintf(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === %q`, name[1]),
			nil, chromedp.WithPollingTimeout(time.Minute)),
		chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`(() => {
  const button = document.querySelector('.graphiql-execute-button');
  const r = document.querySelector('.result-window .CodeMirror');
  const text = r ? r.CodeMirror.getValue() : '';
  return button.getAttribute('aria-label').startsWith('Execute') && text !== '' && text !== %q ? text : null;
})()`, before), &after, chromedp.WithPollingTimeout(time.Minute)))
	return after
}

var operationName = regexp.MustCompile(`(?m)^(?:query|mutation|subscription)\s+(\w+)`)

// exampleRun is one of examples/*.graphql with variables that make it succeed on the sandbox.
type exampleRun struct {
	file string
	vars map[string]any
}

// exampleRuns arranges, straight at the sandbox, what README's examples act on as the demo user:
// instances to look at and press, tasks of the demo user's to approve and to transfer.
func exampleRuns(h *harness) []exampleRun {
	detail := h.startLeave(sandbox.DemoUser)
	approve := h.todoTask(h.startLeave("lihua"), sandbox.DemoUser)
	transfer := h.todoTask(h.startLeave("zhangwei"), sandbox.DemoUser)
	runs := []exampleRun{
		{"inbox.graphql", nil},
		{"header.graphql", nil},
		{"inbox-deferred.graphql", nil},
		{"detail.graphql", map[string]any{"id": detail}},
		{"start-flow.graphql", nil},
		{"approve.graphql", map[string]any{"task": approve}},
		{"transfer.graphql", map[string]any{"task": transfer, "to": h.userID("wangfang")}},
		{"press.graphql", map[string]any{"id": detail}},
	}
	files, err := filepath.Glob("../examples/*.graphql")
	require.NoError(h.t, err)
	require.Len(h.t, files, len(runs), "every example has a run here")
	return runs
}

func readExample(t testing.TB, file string) string {
	b, err := os.ReadFile(filepath.Join("..", "examples", file))
	require.NoError(t, err)
	return string(b)
}

// embeddedHarness is the gateway as `go run .` starts it (its own sandbox inside, GraphiQL with
// the demo user's header), with a client straight to that sandbox to arrange data.
func embeddedHarness(t *testing.T, mutate ...func(*gateway.Config)) *harness {
	gw, srv := newEmbedded(t, mutate...)
	sb := gw.Sandbox()
	up := httptest.NewServer(sb)
	t.Cleanup(up.Close)
	client, err := upstream.New(upstream.Config{BaseURL: up.URL,
		Tokens: upstream.NewClientCredentials(up.URL, sandbox.DefaultSecretID, sandbox.DefaultSecretKey, nil)})
	require.NoError(t, err)
	return &harness{t: t, gw: gw, srv: srv, sb: sb, up: client, me: sb.UserID(sandbox.DemoUser)}
}

// TestExamplesRunOnTheSandbox runs every README example over HTTP as the demo user: each
// answers with data and no error.
func TestExamplesRunOnTheSandbox(t *testing.T) {
	h := embeddedHarness(t)
	for _, run := range exampleRuns(h) {
		t.Run(run.file, func(t *testing.T) {
			res := h.query(h.me, readExample(t, run.file), run.vars)
			assert.Equal(t, 200, res.status)
			assert.Empty(t, res.Errors)
			assert.NotEqual(t, "null", string(res.Data))
		})
	}
}

// TestBrowserGraphiQL drives GraphiQL as a newcomer does, offline: the default query runs as the
// demo user; the Docs pane shows the schema; the explorer lists the root fields; every README
// example runs; a @defer'd fragment shows after the first part, once its upstream call ends.
func TestBrowserGraphiQL(t *testing.T) {
	b := newBrowser(t)
	gate := newGate("ListProcessInstancesCount")
	gate.hold.Store(false) // only the @defer step holds the counts
	h := embeddedHarness(t, gate.install(t))
	b.run(t,
		chromedp.Navigate(h.srv.URL+"/"),
		chromedp.WaitVisible(".graphiql-execute-button", chromedp.ByQuery),
	)

	t.Run("default query", func(t *testing.T) {
		var result string
		b.run(t,
			chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
			chromedp.Poll(`(() => { const r = document.querySelector('.result-window .CodeMirror');
				const v = r && r.CodeMirror.getValue(); return v && v.includes('"workItems"') ? v : null })()`,
				&result, chromedp.WithPollingTimeout(time.Minute)),
		)
		assert.Contains(t, result, `"name": "kongtest"`, "the demo user's inbox, through the prefilled header")
		assert.Contains(t, result, `"totalCount": 24`)
		assert.NotContains(t, result, `"errors"`)
	})

	docsShown := t.Run("docs", func(t *testing.T) {
		var docs string
		b.run(t,
			chromedp.Click(`button[aria-label="Show Documentation Explorer"]`, chromedp.ByQuery),
			chromedp.Poll(`(() => { const d = document.querySelector('.graphiql-doc-explorer');
				return d && (d.querySelector('.graphiql-doc-explorer-error') || d.innerText.includes('All Schema Types')) ? d.innerText : null })()`,
				&docs, chromedp.WithPollingTimeout(time.Minute)),
		)
		b.screenshot(t, "graphiql-docs")
		b.assertNoShownErrors(t)
		require.Contains(t, docs, "All Schema Types", "the Docs pane lists the schema")
		assert.Contains(t, docs, "query: Query")
		for _, typ := range []string{"Viewer", "FlowInstance", "WorkItem", "DateTime"} {
			assert.Contains(t, strings.Fields(docs), typ)
		}
		// Into a type: Viewer's fields, with their descriptions.
		var viewer string
		b.run(t,
			chromedp.Click(`//a[contains(@class,"graphiql-doc-explorer-type-name") and text()="Viewer"]`, chromedp.BySearch),
			chromedp.Poll(`(() => { const d = document.querySelector('.graphiql-doc-explorer');
				return d.innerText.includes('workItemCounts') ? d.innerText : null })()`, &viewer, chromedp.WithPollingTimeout(time.Minute)),
		)
		assert.Contains(t, viewer, "workItems")
		b.screenshot(t, "graphiql-docs-viewer")
	})

	t.Run("explorer", func(t *testing.T) {
		if !docsShown {
			t.Skip("no schema in the page (see docs): the explorer would have none either")
		}
		var explorer string
		b.run(t,
			chromedp.Click(`button[aria-label="Show GraphiQL Explorer"]`, chromedp.ByQuery),
			chromedp.Poll(`(() => { const d = document.querySelector('.graphiql-plugin');
				return d && d.innerText.includes('instances') && d.innerText.includes('viewer') ? d.innerText : null })()`,
				&explorer, chromedp.WithPollingTimeout(time.Minute)),
		)
		b.screenshot(t, "graphiql-explorer")
		assert.Contains(t, explorer, "workItemCounts", "the explorer lists the viewer's fields")
		assert.Contains(t, explorer, "Mutation", "and offers to add a mutation")
		b.assertNoShownErrors(t)
	})

	for _, run := range exampleRuns(h) {
		t.Run("example "+run.file, func(t *testing.T) {
			text := b.execute(t, readExample(t, run.file), run.vars)
			b.assertNoShownErrors(t)
			var res struct {
				Data   map[string]any
				Errors []any
			}
			require.NoError(t, json.Unmarshal([]byte(text), &res), text)
			assert.Empty(t, res.Errors, text)
			assert.NotEmpty(t, res.Data, text)
		})
	}

	t.Run("defer", func(t *testing.T) {
		gate.hold.Store(true)
		var first string
		b.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => {
  document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(%q);
  document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[0].CodeMirror.setValue('');
})()`, deferCounts), nil),
			chromedp.Poll(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === "Deferred"`,
				nil, chromedp.WithPollingTimeout(time.Minute)),
			chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
			chromedp.Poll(`(() => { const r = document.querySelector('.result-window .CodeMirror');
				const v = r && r.CodeMirror.getValue(); return v && v.includes('"user"') ? v : null })()`,
				&first, chromedp.WithPollingTimeout(time.Minute)),
		)
		opened, _ := gate.state()
		require.False(t, opened)
		assert.Contains(t, first, `"name": "kongtest"`, "the first part shows while the counts are held upstream")
		assert.NotContains(t, first, `"todo"`)
		gate.waitArrived(t)
		gate.release()
		var whole string
		b.run(t, chromedp.Poll(`(() => { const r = document.querySelector('.result-window .CodeMirror');
				const v = r && r.CodeMirror.getValue(); return v && v.includes('"todo"') ? v : null })()`,
			&whole, chromedp.WithPollingTimeout(time.Minute)))
		assert.Regexp(t, `"todo": \d+`, whole)
		assert.Contains(t, whole, `"name": "kongtest"`, "the deferred part is merged into the first")
		b.screenshot(t, "graphiql-defer")
		b.assertNoShownErrors(t)
	})

	t.Run("subscription", func(t *testing.T) {
		gate.hold.Store(false)
		count := func(text string) string { return regexp.MustCompile(`"todo": (\d+)`).FindStringSubmatch(text)[1] }
		var first string
		b.run(t, chromedp.Evaluate(`(() => {
  document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('subscription Counts { workItemCounts { todo } }');
})()`, nil),
			chromedp.Poll(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === "Counts"`,
				nil, chromedp.WithPollingTimeout(time.Minute)),
			chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
			chromedp.Poll(`(() => { const r = document.querySelector('.result-window .CodeMirror');
				const v = r && r.CodeMirror.getValue(); return v && v.includes('"workItemCounts"') ? v : null })()`,
				&first, chromedp.WithPollingTimeout(time.Minute)),
		)
		before := count(first)
		h.start(h.userID("lihua"), "leave_request") // a new task for kongtest, through the gateway
		var after string
		b.run(t, chromedp.Poll(fmt.Sprintf(`(() => { const r = document.querySelector('.result-window .CodeMirror');
				const v = r && r.CodeMirror.getValue(); return v && v.includes('"todo"') && !v.includes('"todo": %s') ? v : null })()`, before),
			&after, chromedp.WithPollingTimeout(time.Minute)))
		assert.NotEqual(t, before, count(after), "the subscription's next event shows without another ▶")
		b.screenshot(t, "graphiql-subscription")
		b.assertNoShownErrors(t)
	})

	assert.Empty(t, b.pageErrors(), "errors the page logged")
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
