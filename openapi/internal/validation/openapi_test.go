package validation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/openapi"
	"github.com/pinionhq/pinion/serve"
)

func at(t *testing.T, doc map[string]any, path ...string) any {
	t.Helper()
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: no %s", path, p)
		}
		if v, ok = m[p]; !ok {
			t.Fatalf("%v: no %s in %v", path, p, keys(m))
		}
	}
	return v
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The chat app's document, served at /openapi.json, is valid OpenAPI 3.1
// and describes every service it exposes, with authentication.
func TestChatAppDocument(t *testing.T) {
	srv := chatServer(t)
	doc := valid(t, get(t, srv.Handler(), "/openapi.json"))
	for _, p := range []string{"/users", "/users/{id}", "/messages", "/messages/{id}", "/authentication", "/authentication/tickets", "/rooms"} {
		at(t, doc, "paths", p)
	}
	if sec := at(t, doc, "paths", "/messages", "get", "security"); sec == nil {
		t.Error("finding messages is not marked secured")
	}
	if sec := at(t, doc, "paths", "/users", "post", "security"); len(sec.([]any)) != 0 {
		t.Errorf("signup is marked secured: %v", sec)
	}
	at(t, doc, "paths", "/messages", "get", "responses", "401")
	at(t, doc, "paths", "/messages/{id}", "get", "responses", "404")
	at(t, doc, "components", "securitySchemes", "bearer")
	at(t, doc, "components", "schemas", "MessagesPage", "properties", "total")
	at(t, doc, "paths", "/authentication", "delete")
}

type Note struct {
	ID    int      `json:"id" readOnly:"true"`
	Text  string   `json:"text" required:"true" maxLength:"500" doc:"what the note says"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner,omitempty" protected:"true"`
}

// A typed service's document comes from its struct, and custom methods
// are posts with X-Service-Method.
func TestTypedDocument(t *testing.T) {
	app := pinion.New()
	o := memory.Options{}
	o.Paginate = pinion.Paginate{Default: 10, Max: 50}
	o.Multi = []pinion.Method{pinion.MethodCreate}
	pinion.Use(app, "orgs/:orgId/notes", memory.Typed[Note, int](o),
		pinion.WithMethod("archive", func(ctx context.Context, data any, p *pinion.Params) (any, error) { return data, nil }))
	app.Use("plain", memory.New(memory.Options{Options: adapter.Options{}}))
	b, err := openapi.JSON(app, openapi.Info{Title: "Notes"})
	if err != nil {
		t.Fatal(err)
	}
	doc := valid(t, b)
	data := at(t, doc, "components", "schemas", "OrgsOrgIdNotesData").(map[string]any)
	if _, ok := data["properties"].(map[string]any)["id"]; ok {
		t.Error("the data schema takes the read-only id")
	}
	if s, _ := json.Marshal(at(t, doc, "components", "schemas", "OrgsOrgIdNotes")); strings.Contains(string(s), "owner") {
		t.Errorf("the result schema shows a protected field: %s", s)
	}
	at(t, doc, "paths", "/orgs/{orgId}/notes", "parameters")
	params, _ := json.Marshal(at(t, doc, "paths", "/orgs/{orgId}/notes", "post", "parameters"))
	if !strings.Contains(string(params), "X-Service-Method") || !strings.Contains(string(params), "archive") {
		t.Errorf("custom methods: %s", params)
	}
	at(t, doc, "components", "schemas", "OrgsOrgIdNotesPage")
	at(t, doc, "components", "schemas", "OrgsOrgIdNotesQuery", "properties", "$or")
}

// serve.Options.Docs serves the document and its reference page, whose
// assets are in the binary.
func TestServedDocs(t *testing.T) {
	app := pinion.New()
	pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	srv, err := serve.New(app, serve.Options{Docs: &openapi.Info{Title: "Notes"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for path, want := range map[string]string{
		"/openapi.json":              `"openapi": "3.1.0"`,
		"/docs/":                     "swagger-ui-bundle.js",
		"/docs/init.js":              "openapi.json",
		"/docs/swagger-ui-bundle.js": "SwaggerUIBundle",
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d, want a body with %q", path, resp.StatusCode, want)
		}
	}
	resp, _ := http.Get(ts.URL + "/docs")
	resp.Body.Close()
	if resp.Request.URL.Path != "/docs/" {
		t.Errorf("/docs does not lead to /docs/: %s", resp.Request.URL.Path)
	}
}

// Services whose paths make one name ("to-dos", "to_dos") get a schema and
// operation ids each, named as package typescript names their types.
func TestNamesOnce(t *testing.T) {
	app := pinion.New()
	app.Use("to-dos", memory.New(memory.Options{}))
	app.Use("to_dos", memory.New(memory.Options{}))
	app.Use("2fa", memory.New(memory.Options{}))
	b, err := openapi.JSON(app, openapi.Info{Title: "Names"})
	if err != nil {
		t.Fatal(err)
	}
	doc := valid(t, b)
	for _, name := range []string{"ToDos", "ToDos2", "Service2fa"} {
		at(t, doc, "components", "schemas", name)
	}
	ids := map[string]bool{}
	for _, item := range at(t, doc, "paths").(map[string]any) {
		for _, op := range item.(map[string]any) {
			op, _ := op.(map[string]any) // or a path's parameters
			if id, _ := op["operationId"].(string); id != "" {
				if ids[id] {
					t.Errorf("operationId %s twice", id)
				}
				ids[id] = true
			}
		}
	}
	if !ids["findToDos"] || !ids["findToDos2"] {
		t.Errorf("operation ids %v", ids)
	}
}

// ArchiveData is the data of the typed archive method.
type ArchiveData struct {
	Reason string `json:"reason" maxLength:"200"`
}

// A typed custom method is documented with its data (the id inside it) and
// its result, and the 404 of a record not found.
func TestTypedCustomMethod(t *testing.T) {
	app := pinion.New()
	notes := pinion.Use(app, "notes", memory.Typed[Note, int](memory.Options{}))
	pinion.AddCustomOn(notes, "archive", func(ctx context.Context, id int, d ArchiveData, p *pinion.Params) (Note, error) {
		return notes.Get(ctx, id, p)
	})
	b, err := openapi.JSON(app, openapi.Info{Title: "Notes"})
	if err != nil {
		t.Fatal(err)
	}
	doc := valid(t, b)
	data, _ := json.Marshal(at(t, doc, "components", "schemas", "NotesArchiveData"))
	if want := `"required":["id"]`; !strings.Contains(string(data), want) || !strings.Contains(string(data), `"id":{"type":"integer"}`) || !strings.Contains(string(data), `"reason"`) {
		t.Errorf("archive's data: %s", data)
	}
	post := at(t, doc, "paths", "/notes", "post").(map[string]any)
	if m, _ := json.Marshal(post["x-custom-methods"]); string(m) != `{"archive":{"data":{"$ref":"#/components/schemas/NotesArchiveData"},"id":"id","result":{"$ref":"#/components/schemas/Notes"}}}` {
		t.Errorf("x-custom-methods: %s", m)
	}
	body, _ := json.Marshal(at(t, post, "requestBody"))
	if !strings.Contains(string(body), "NotesArchiveData") || !strings.Contains(string(body), "NotesData") {
		t.Errorf("the POST's body takes create's data or archive's: %s", body)
	}
	at(t, post, "responses", "404")
	ok, _ := json.Marshal(at(t, post, "responses", "200"))
	if !strings.Contains(string(ok), `"#/components/schemas/Notes"`) {
		t.Errorf("the POST's 200: %s", ok)
	}
}
