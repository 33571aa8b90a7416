// Package openapi describes a running Pinion app in OpenAPI 3.1: every
// exposed method of every service by Feathers' REST conventions, with the
// schemas of typed services taken from their structs (package schema), the
// Bearer security scheme, pagination, custom methods and the Feathers error
// shape of every failure.
//
//	doc := openapi.Document(app, openapi.Info{Title: "Chat", Version: "1.0.0"})
//
// serve.Options.OpenAPI serves it at /openapi.json, with an interactive
// reference at /docs.
package openapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/schema"
)

// Info is the document's info object.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Document returns the OpenAPI 3.1 document of app, as decoded JSON (maps
// and lists), for the services registered now.
func Document(app *pinion.App, info Info) map[string]any {
	if info.Title == "" {
		info.Title = "Pinion API"
	}
	if info.Version == "" {
		info.Version = "1.0.0"
	}
	b := &builder{schemas: map[string]any{}, paths: map[string]any{}, names: map[string]bool{}}
	b.schemas["Error"] = errorSchema
	for _, svc := range app.Services() {
		b.service(svc)
	}
	responses := errorResponses()
	prune(b.paths, map[string]map[string]any{"schemas": b.schemas, "responses": responses})
	return map[string]any{
		"openapi": "3.1.0",
		"info":    info,
		// The document is served by the API it describes: its operations
		// are relative to where it was read from.
		"servers": []any{map[string]any{"url": "/", "description": "This server"}},
		"paths":   b.paths,
		"components": map[string]any{
			"schemas":   b.schemas,
			"responses": responses,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "An access token from POST /authentication, as `Authorization: Bearer <token>`."},
			},
		},
	}
}

// prune drops the components that no operation refers to, directly or
// through another component: a service without patch has no patch schema
// to show, and no service may answer 408.
func prune(paths map[string]any, components map[string]map[string]any) {
	reached := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok && !reached[r] {
				reached[r] = true
				for kind, m := range components {
					if name, ok := strings.CutPrefix(r, "#/components/"+kind+"/"); ok {
						walk(m[name])
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case []map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(paths)
	for kind, m := range components {
		for name := range m {
			if !reached["#/components/"+kind+"/"+name] {
				delete(m, name)
			}
		}
	}
}

// JSON is Document, encoded.
func JSON(app *pinion.App, info Info) ([]byte, error) {
	return json.MarshalIndent(Document(app, info), "", "  ")
}

// Handler serves the document of app as JSON, made for each request: it
// describes the services registered when it is asked.
func Handler(app *pinion.App, info Info) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := JSON(app, info)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(b)
	})
}

type builder struct {
	schemas map[string]any
	paths   map[string]any
	names   map[string]bool // the services' component names
}

// shapes are the component schemas of one service.
type shapes struct {
	result, data, patch, query map[string]any // references
	queryParams                []any
	paginated                  bool
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func (b *builder) service(svc *pinion.Service) {
	methods := svc.Methods()
	if len(methods) == 0 {
		return
	}
	name := b.unique(ComponentName(svc.Path()))
	sh := b.shapes(svc, name)
	docs := svc.Docs()
	tag := svc.Path()

	base, params := pathTemplate(svc.Path())
	coll := map[string]any{}
	item := map[string]any{}
	itemParams := append(slices.Clone(params), map[string]any{
		"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		"description": "The record's id.",
	})
	// An adapter says which methods take several records (a list to
	// create, no id to patch or remove). A service that says nothing of it
	// takes one record in create, and may be called without an id to patch
	// or remove, answering one result: logout is DELETE /authentication.
	mc, adapter := svc.Impl().(pinion.MultiChecker)
	multi := func(m pinion.Method) bool { return adapter && mc.AllowsMulti(m) }
	withoutID := func(m pinion.Method) bool { return !adapter || mc.AllowsMulti(m) }
	op := func(m pinion.Method, summary string, responses map[string]any, extra map[string]any) map[string]any {
		if s := docs.Operations[m]; s != "" {
			summary = s
		}
		o := map[string]any{
			"operationId": operationID(name, string(m), extra["multi"] == true),
			"tags":        []any{tag},
			"summary":     summary,
			"responses":   responses,
		}
		delete(extra, "multi")
		for k, v := range extra {
			o[k] = v
		}
		failures := []string{"BadRequest", "GeneralError", "Unavailable"}
		// Every operation says whether it needs a token, an empty list
		// for none: a document-wide default would hide which is which.
		o["security"] = []any{}
		if docs.Secures(m) {
			o["security"] = []any{map[string]any{"bearer": []any{}}}
			failures = append(failures, "NotAuthenticated", "Forbidden")
		}
		for _, status := range docs.Failures[m] {
			if name := errorName[strconv.Itoa(status)]; name != "" {
				failures = append(failures, name)
			}
		}
		for _, f := range failures {
			responses[errorStatus[f]] = map[string]any{"$ref": "#/components/responses/" + f}
		}
		return o
	}
	ok := func(status, description string, body map[string]any) map[string]any {
		return map[string]any{status: map[string]any{"description": description, "content": jsonContent(body)}}
	}
	with := func(r map[string]any, failures ...string) map[string]any {
		for _, f := range failures {
			r[errorStatus[f]] = map[string]any{"$ref": "#/components/responses/" + f}
		}
		return r
	}
	list := map[string]any{"type": "array", "items": sh.result}
	for _, m := range methods {
		switch m {
		case pinion.MethodFind:
			body := any(list)
			if sh.paginated {
				body = ref(name + "Page")
			}
			coll["get"] = op(m, "Find "+svc.Path(), ok("200", "The records that match the query.", asMap(body)),
				map[string]any{"parameters": sh.queryParams})
		case pinion.MethodGet:
			item["get"] = op(m, "Get one of "+svc.Path(), with(ok("200", "The record.", sh.result), "NotFound"),
				map[string]any{"parameters": sh.queryParams})
		case pinion.MethodCreate:
			req := any(sh.data)
			res := any(sh.result)
			if multi(m) {
				req = map[string]any{"oneOf": []any{sh.data, map[string]any{"type": "array", "items": sh.data}}}
				res = map[string]any{"oneOf": []any{sh.result, list}}
			}
			coll["post"] = op(m, "Create "+svc.Path(), with(ok("201", "The new record (a list for a list).", asMap(res)), "Conflict", "PayloadTooLarge", "MethodNotAllowed"),
				map[string]any{"requestBody": map[string]any{"required": true, "content": jsonContent(asMap(req))}})
		case pinion.MethodUpdate:
			item["put"] = op(m, "Replace one of "+svc.Path(), with(ok("200", "The replaced record.", sh.result), "NotFound", "Conflict", "PayloadTooLarge"),
				map[string]any{"requestBody": map[string]any{"required": true, "content": jsonContent(sh.data)}})
		case pinion.MethodPatch:
			item["patch"] = op(m, "Patch one of "+svc.Path(), with(ok("200", "The patched record.", sh.result), "NotFound", "Conflict", "PayloadTooLarge"),
				map[string]any{"requestBody": map[string]any{"required": true, "content": jsonContent(sh.patch)}})
			switch {
			case multi(m):
				coll["patch"] = op(m, "Patch every record of "+svc.Path()+" the query matches", with(ok("200", "The patched records.", list), "Conflict"),
					map[string]any{"multi": true, "parameters": sh.queryParams, "requestBody": map[string]any{"required": true, "content": jsonContent(sh.patch)}})
			case withoutID(m):
				coll["patch"] = op(m, "Patch "+svc.Path(), with(ok("200", "The result.", sh.result), "Conflict"),
					map[string]any{"multi": true, "parameters": sh.queryParams, "requestBody": map[string]any{"required": true, "content": jsonContent(sh.patch)}})
			}
		case pinion.MethodRemove:
			item["delete"] = op(m, "Remove one of "+svc.Path(), with(ok("200", "The removed record.", sh.result), "NotFound"),
				map[string]any{"parameters": sh.queryParams})
			switch {
			case multi(m):
				coll["delete"] = op(m, "Remove every record of "+svc.Path()+" the query matches", ok("200", "The removed records.", list),
					map[string]any{"multi": true, "parameters": sh.queryParams})
			case withoutID(m):
				coll["delete"] = op(m, "Remove "+svc.Path(), ok("200", "The result.", sh.result),
					map[string]any{"multi": true, "parameters": sh.queryParams})
			}
		}
	}
	if custom := customMethods(methods); len(custom) > 0 {
		b.custom(svc, name, coll, custom, docs, op)
	}
	if len(coll) > 0 {
		if len(params) > 0 {
			coll["parameters"] = params
		}
		if docs.Summary != "" {
			coll["summary"] = docs.Summary
		}
		if docs.Description != "" {
			coll["description"] = docs.Description
		}
		b.paths[base] = coll
	}
	if len(item) > 0 {
		item["parameters"] = itemParams
		b.paths[base+"/{id}"] = item
	}
}

// custom describes the custom methods: a POST to the service's path with
// the method named in X-Service-Method. OpenAPI has one operation per path
// and verb, so create and the custom methods share the POST, told apart by
// the header.
func (b *builder) custom(svc *pinion.Service, name string, coll map[string]any, custom []pinion.Method, docs pinion.Docs, op func(pinion.Method, string, map[string]any, map[string]any) map[string]any) {
	names := make([]any, len(custom))
	for i, m := range custom {
		names[i] = string(m)
	}
	header := map[string]any{
		"name": "X-Service-Method", "in": "header", "schema": map[string]any{"type": "string", "enum": names},
		"description": "Calls the named custom method with the body as its data, instead of create.",
	}
	post, _ := coll["post"].(map[string]any)
	if post == nil {
		post = op(custom[0], "Call a custom method of "+svc.Path(), map[string]any{
			"200": map[string]any{"description": "What the method answers.", "content": jsonContent(map[string]any{})},
		}, map[string]any{"requestBody": map[string]any{"content": jsonContent(map[string]any{})}})
		post["operationId"] = operationID(name, "custom", false)
		coll["post"] = post
	} else {
		post["responses"].(map[string]any)["200"] = map[string]any{"description": "What a custom method answers.", "content": jsonContent(map[string]any{})}
		body := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
		body["schema"] = map[string]any{"anyOf": []any{body["schema"], map[string]any{"description": "a custom method's data"}}}
	}
	post["parameters"] = append(asList(post["parameters"]), header)
	list := make([]string, len(custom))
	for i, m := range custom {
		list[i] = string(m)
	}
	post["description"] = "Custom methods: " + strings.Join(list, ", ") + " (named in X-Service-Method)."
	b.typedCustom(svc, name, post, custom)
}

// typedCustom describes the custom methods that declare their types
// (pinion.AddCustom, AddCustomOn): each method's data and result become
// components, the shared POST takes any of the data and answers any of the
// results, and x-custom-methods says which belongs to which method, since
// OpenAPI cannot tell operations apart by a header.
func (b *builder) typedCustom(svc *pinion.Service, name string, post map[string]any, exposed []pinion.Method) {
	var datas, results []any
	methods := map[string]any{}
	notFound := false
	for _, d := range svc.CustomDocs() {
		if !slices.Contains(exposed, d.Name) {
			continue
		}
		base := name + ComponentName(string(d.Name))
		data := d.Data.JSONSchema(schema.Data, schema.Refs{})
		if d.IDField != "" {
			props, _ := data["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
				data["properties"] = props
			}
			props[d.IDField] = IDSchema(d.IDType)
			data["required"] = append([]any{d.IDField}, asList(data["required"])...)
			notFound = true
		}
		b.schemas[base+"Data"] = data
		entry := map[string]any{"data": ref(base + "Data")}
		if d.IDField != "" {
			entry["id"] = d.IDField
		}
		datas = append(datas, ref(base+"Data"))
		switch {
		case d.Result != nil && svc.Schema() != nil && d.Result.Type == svc.Schema().Type:
			entry["result"] = ref(name) // a record of the service
			results = append(results, ref(name))
		case d.Result != nil:
			b.schemas[base+"Result"] = d.Result.JSONSchema(schema.Result, schema.Refs{})
			entry["result"] = ref(base + "Result")
			results = append(results, ref(base+"Result"))
		}
		methods[string(d.Name)] = entry
	}
	if len(methods) == 0 {
		return
	}
	post["x-custom-methods"] = methods
	body := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
	if len(datas) == len(exposed) && body["schema"] != nil && len(asMap(body["schema"])) == 0 {
		body["schema"] = map[string]any{"anyOf": datas} // every custom method is typed, and there is no create
	} else {
		body["schema"] = map[string]any{"anyOf": append([]any{body["schema"]}, datas...)}
	}
	responses := post["responses"].(map[string]any)
	if len(results) > 0 {
		res := responses["200"].(map[string]any)
		answer := any(map[string]any{"anyOf": results})
		if len(results) == 1 {
			answer = results[0]
		}
		res["content"] = jsonContent(asMap(answer))
	}
	if notFound {
		responses[errorStatus["NotFound"]] = map[string]any{"$ref": "#/components/responses/NotFound"}
	}
}

// IDSchema is the JSON Schema of an id of Go type t: a number for integer
// and float kinds, a string otherwise. Package typescript types ids so too.
func IDSchema(t reflect.Type) map[string]any {
	if t != nil {
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return map[string]any{"type": "integer"}
		case reflect.Float32, reflect.Float64:
			return map[string]any{"type": "number"}
		}
	}
	return map[string]any{"type": "string"}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func customMethods(methods []pinion.Method) []pinion.Method {
	var out []pinion.Method
	for _, m := range methods {
		if !pinion.IsStandardMethod(m) {
			out = append(out, m)
		}
	}
	return out
}

// shapes registers the component schemas of svc and returns references.
func (b *builder) shapes(svc *pinion.Service, name string) shapes {
	sh := shapes{}
	if p, ok := svc.Impl().(interface{ Paginate() pinion.Paginate }); ok {
		page := p.Paginate()
		sh.paginated = page.Enabled()
	}
	queryRef := "#/components/schemas/" + name + "Query"
	query := QuerySchema(svc, queryRef)
	b.schemas[name+"Query"] = query
	sh.queryParams = queryParameters(query)
	if st := svc.Schema(); st != nil {
		b.schemas[name] = st.JSONSchema(schema.Result, schema.Refs{})
		b.schemas[name+"Data"] = st.JSONSchema(schema.Data, schema.Refs{})
		b.schemas[name+"Patch"] = st.JSONSchema(schema.Patch, schema.Refs{})
	} else {
		d := svc.Docs()
		b.schemas[name] = rawSchema(d.Result, map[string]any{"type": "object", "additionalProperties": true})
		b.schemas[name+"Data"] = rawSchema(d.Data, map[string]any{"type": "object"})
		b.schemas[name+"Patch"] = rawSchema(d.Patch, rawSchema(d.Data, map[string]any{"type": "object"}))
	}
	sh.result, sh.data, sh.patch = ref(name), ref(name+"Data"), ref(name+"Patch")
	if sh.paginated {
		b.schemas[name+"Page"] = map[string]any{
			"type":     "object",
			"required": []any{"total", "limit", "skip", "data"},
			"properties": map[string]any{
				"total": map[string]any{"type": "integer", "description": "How many records match, in all."},
				"limit": map[string]any{"type": "integer"},
				"skip":  map[string]any{"type": "integer"},
				"data":  map[string]any{"type": "array", "items": sh.result},
			},
		}
	}
	return sh
}

// rawSchema decodes a hand-written JSON Schema, or gives def.
func rawSchema(doc string, def map[string]any) map[string]any {
	if doc == "" {
		return def
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return def
	}
	delete(m, "$schema")
	return m
}

// queryParameters describe a query schema (QuerySchema) in qs bracket
// syntax: each field as a deepObject (done=true, age[$gte]=18,
// tags[$in][]=a), then the filters.
func queryParameters(query map[string]any) []any {
	props, _ := query["properties"].(map[string]any)
	fields := make([]string, 0, len(props))
	for name := range props {
		if !strings.HasPrefix(name, "$") {
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	var out []any
	for _, f := range fields {
		out = append(out, map[string]any{
			"name": f, "in": "query", "style": "deepObject", "explode": true, "schema": props[f],
			"description": "A value, or operators: " + f + "[$gt]=…",
		})
	}
	if query["additionalProperties"] == true {
		fields = nil // any field: no list to choose from
	}
	limit, _ := props["$limit"].(map[string]any)
	if limit == nil {
		limit = map[string]any{"type": "integer", "minimum": 0}
	}
	limitDoc, _ := limit["description"].(string)
	if limitDoc == "" {
		limitDoc = "How many records to answer at most."
	}
	sortSchema := map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer", "enum": []any{1, -1}}}
	if s, ok := props["$sort"].(map[string]any); ok {
		sortSchema = s
	}
	orSchema := map[string]any{"type": "array", "items": map[string]any{"type": "object", "additionalProperties": true}}
	if o, ok := props["$or"].(map[string]any); ok {
		orSchema = o // the query's own schema, for each alternative
	}
	selectItems := map[string]any{"type": "string"}
	if fields != nil {
		names := make([]any, len(fields))
		for i, f := range fields {
			names[i] = f
		}
		selectItems["enum"] = names
	}
	return append(out,
		map[string]any{"name": "$limit", "in": "query", "schema": limit, "description": limitDoc},
		map[string]any{"name": "$skip", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 0}, "description": "How many matching records to skip."},
		map[string]any{"name": "$sort", "in": "query", "style": "deepObject", "explode": true, "schema": sortSchema,
			"example":     map[string]any{sortExample(fields): -1},
			"description": "Fields to sort by, in order: $sort[createdAt]=-1&$sort[_id]=1."},
		map[string]any{"name": "$select[]", "in": "query", "schema": map[string]any{"type": "array", "items": selectItems},
			"description": "The fields to answer (the id always comes)."},
		map[string]any{"name": "$or", "in": "query", "style": "deepObject", "explode": true,
			"schema":      orSchema,
			"description": "Any of several queries, in qs syntax: $or[0][done]=true&$or[1][title]=x."},
	)
}

func sortExample(fields []string) string {
	if len(fields) > 0 {
		return fields[0]
	}
	return "createdAt"
}

func jsonContent(s map[string]any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": s}}
}

var placeholder = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// pathTemplate turns a service path with placeholders (":orgId/projects")
// into an OpenAPI template and its parameters.
func pathTemplate(path string) (string, []any) {
	var params []any
	tmpl := placeholder.ReplaceAllStringFunc(path, func(p string) string {
		name := p[1:]
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		return "{" + name + "}"
	})
	return "/" + tmpl, params
}

// ComponentName is the schema name of a service path: "users" → "Users",
// "authentication/tickets" → "AuthenticationTickets", "2fa" → "Service2fa"
// (a name starts with a letter). Package typescript names its types so too.
func ComponentName(path string) string {
	var b strings.Builder
	up := true
	for _, r := range path {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	name := b.String()
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		name = "Service" + name
	}
	return name
}

// unique gives a service's component name once: a second "ToDos" ("to-dos",
// "to_dos") is "ToDos2", as in package typescript, so that neither schemas
// nor operation ids are shared.
func (b *builder) unique(name string) string {
	n := name
	for i := 2; b.names[n]; i++ {
		n = name + strconv.Itoa(i)
	}
	b.names[n] = true
	return n
}

func operationID(name, method string, multi bool) string {
	id := method + name
	if multi {
		id += "Many"
	}
	return id
}

// The Feathers error shape, and the responses of each class.
var errorSchema = map[string]any{
	"type":     "object",
	"required": []any{"name", "message", "code", "className"},
	"properties": map[string]any{
		"name":      map[string]any{"type": "string", "description": "The error class: BadRequest, NotFound, …"},
		"message":   map[string]any{"type": "string"},
		"code":      map[string]any{"type": "integer", "description": "The HTTP status."},
		"className": map[string]any{"type": "string", "description": "The class in kebab case: bad-request, not-found, …"},
		"data":      map[string]any{"description": "Details, such as every field at fault: [{instancePath, message}]."},
		"errors":    map[string]any{"description": "Per-field messages."},
	},
}

var errorStatus = map[string]string{
	"BadRequest": "400", "NotAuthenticated": "401", "Forbidden": "403", "NotFound": "404",
	"MethodNotAllowed": "405", "Timeout": "408", "Conflict": "409", "PayloadTooLarge": "413",
	"TooManyRequests": "429", "GeneralError": "500", "Unavailable": "503",
}

// errorName is errorStatus the other way round.
var errorName = func() map[string]string {
	out := make(map[string]string, len(errorStatus))
	for name, status := range errorStatus {
		out[status] = name
	}
	return out
}()

func errorResponses() map[string]any {
	descriptions := map[string]string{
		"BadRequest":       "The data or the query is not valid: data lists every problem.",
		"NotAuthenticated": "No valid access token.",
		"Forbidden":        "The caller may not do this.",
		"NotFound":         "No record has this id (among those the query allows).",
		"MethodNotAllowed": "The method is not exposed, or several records at once are not allowed.",
		"Timeout":          "The call, or the request body, took too long.",
		"Conflict":         "A unique field already has this value: data names the field.",
		"PayloadTooLarge":  "The request body is over the server's limit.",
		"TooManyRequests":  "Too many failed logins: wait for Retry-After seconds.",
		"GeneralError":     "Something failed on the server.",
		"Unavailable":      "The database does not answer.",
	}
	out := map[string]any{}
	for name, d := range descriptions {
		out[name] = map[string]any{"description": d, "content": jsonContent(ref("Error"))}
	}
	return out
}
