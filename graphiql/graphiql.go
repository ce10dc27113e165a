// Package graphiql serves GraphiQL from assets embedded in the binary, so it works on machines
// with no internet (gqlgen's playground loads from a public CDN). The assets are graphiql 3.8.3,
// its explorer plugin (@graphiql/plugin-explorer 3.2.5) and React 18.3.1 from the npm registry;
// scripts/update-graphiql refreshes them and says why these versions.
package graphiql

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Options shape the page.
type Options struct {
	Endpoint     string            // the GraphQL endpoint, e.g. /graphql
	DefaultQuery string            // what the editor shows first
	Headers      map[string]string // headers the page starts with (the sandbox's demo user)
}

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WeDa GraphQL gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Base}}/graphiql.min.css">
<link rel="stylesheet" href="{{.Base}}/plugin-explorer.css">
<style>html,body,#graphiql{height:100%;margin:0}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="{{.Base}}/react.production.min.js"></script>
<script src="{{.Base}}/react-dom.production.min.js"></script>
<script src="{{.Base}}/graphiql.min.js"></script>
<script src="{{.Base}}/plugin-explorer.umd.js"></script>
<script>
// The fetcher asks for multipart/mixed, so @defer'd fragments show as they arrive; subscriptions
// go over a WebSocket (graphql-transport-ws), whose connection_init carries the start headers.
const endpoint = new URL({{.Endpoint}}, window.location.href);
const socket = new URL(endpoint);
socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
const fetcher = GraphiQL.createFetcher({ url: endpoint.toString(), subscriptionUrl: socket.toString(),
  wsConnectionParams: {{.Params}} });
const explorer = GraphiQLPluginExplorer.explorerPlugin();
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultQuery: {{.Query}},
    defaultHeaders: {{.Headers}},
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: {{.ShowHeaders}},
  }),
);
</script>
</body>
</html>
`))

// Handler serves the page at its root and the assets below base (e.g. "/graphiql").
func Handler(base string, opts Options) http.Handler {
	headers, tools, params := "", any(false), map[string]string{}
	for k, v := range opts.Headers {
		params[k] = v
	}
	if len(opts.Headers) > 0 {
		tools = "headers" // open the headers pane so a newcomer sees who they act as
		b, _ := json.MarshalIndent(opts.Headers, "", "  ")
		headers = string(b)
	}
	sub, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix(base+"/", http.FileServer(http.FS(sub)))
	mux := http.NewServeMux()
	mux.Handle(base+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = page.Execute(w, map[string]any{"Base": base, "Endpoint": opts.Endpoint, "Query": opts.DefaultQuery,
			"Headers": headers, "ShowHeaders": tools, "Params": params})
	})
	return mux
}
