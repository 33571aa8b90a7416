package schema_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pinionhq/pinion/schema"
)

type Address struct {
	City string `json:"city" required:"true" minLength:"1"`
	Zip  string `json:"zip,omitempty" pattern:"^[0-9]{5}$"`
}

type Person struct {
	ID      int       `json:"id" readOnly:"true"`
	Name    string    `json:"name" required:"true" minLength:"1" maxLength:"20" doc:"what to call them"`
	Email   string    `json:"email,omitempty" format:"email"`
	Age     int       `json:"age,omitempty" minimum:"0" maximum:"150"`
	Role    string    `json:"role,omitempty" enum:"admin,member"`
	Score   float64   `json:"score"`
	Active  bool      `json:"active"`
	Born    time.Time `json:"born,omitzero"`
	Tags    []string  `json:"tags,omitempty" maxLength:"10"`
	Address *Address  `json:"address,omitempty"`
	Secret  string    `json:"secret,omitempty" protected:"true"`
	hidden  string
	Ignored string `json:"-"`
}

func compile(t *testing.T, doc map[string]any) *jsonschema.Schema {
	t.Helper()
	b, _ := json.Marshal(doc)
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("s.json", v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("s.json")
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v\n%s", err, b)
	}
	return s
}

// The struct's checks and its JSON Schema agree on every document: what one
// accepts, the other does, so the published schema is the truth.
func TestChecksAgreeWithJSONSchema(t *testing.T) {
	st := schema.For[Person]()
	data := compile(t, st.JSONSchema(schema.Data, schema.Refs{}))
	patch := compile(t, st.JSONSchema(schema.Patch, schema.Refs{}))
	docs := []string{
		`{"name":"Ada"}`,
		`{"name":""}`,
		`{"name":"` + strings.Repeat("x", 21) + `"}`,
		`{}`,
		`{"name":"Ada","email":"ada@example.com"}`,
		`{"name":"Ada","email":"not an email"}`,
		`{"name":"Ada","age":-1}`,
		`{"name":"Ada","age":151}`,
		`{"name":"Ada","age":"3"}`,
		`{"name":"Ada","role":"admin"}`,
		`{"name":"Ada","role":"owner"}`,
		`{"name":"Ada","score":1.5,"active":true}`,
		`{"name":"Ada","active":"yes"}`,
		`{"name":"Ada","born":"2026-01-02T03:04:05Z"}`,
		`{"name":"Ada","born":"yesterday"}`,
		`{"name":"Ada","tags":["a","b"]}`,
		`{"name":"Ada","tags":"a"}`,
		`{"name":"Ada","address":{"city":"Paris","zip":"75001"}}`,
		`{"name":"Ada","address":{"zip":"75001"}}`,
		`{"name":"Ada","address":{"city":"Paris","zip":"x"}}`,
		`{"name":"Ada","address":null}`,
		`{"name":"Ada","secret":"s"}`,
		`{"name":"Ada","role2":"admin"}`,
		`{"name":"Ada","hidden":"h"}`,
		`[]`,
	}
	for _, doc := range docs {
		for _, whole := range []bool{true, false} {
			var p Person
			given, err := st.DecodeJSON([]byte(doc), reflect.ValueOf(&p), schema.Decoding{External: true})
			if err == nil {
				err = st.Validate(reflect.ValueOf(&p), func(n string) bool { return contains(given, n) }, whole)
			}
			var v any
			json.Unmarshal([]byte(doc), &v)
			sch := data
			if !whole {
				sch = patch
			}
			schemaErr := sch.Validate(v)
			if (err == nil) != (schemaErr == nil) {
				t.Errorf("%s (whole %v): checks say %v, the JSON Schema says %v", doc, whole, err, schemaErr)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestResultAndQuerySchemas(t *testing.T) {
	st := schema.For[Person]()
	result := st.JSONSchema(schema.Result, schema.Refs{})
	props := result["properties"].(map[string]any)
	if _, leaked := props["secret"]; leaked {
		t.Error("the result schema shows a protected field")
	}
	if props["id"].(map[string]any)["readOnly"] != true || props["name"].(map[string]any)["description"] != "what to call them" {
		t.Errorf("result properties %v", props)
	}
	if got := result["required"]; !reflect.DeepEqual(got, []string{"id", "name", "score", "active"}) {
		t.Errorf("a result always has %v", got)
	}
	query := compile(t, st.JSONSchema(schema.Query, schema.Refs{}))
	for doc, ok := range map[string]bool{
		`{"name":"Ada","age":{"$gte":18}}`:                    true,
		`{"$or":[{"name":"Ada"},{"active":true}],"$limit":5}`: true,
		`{"$sort":{"age":-1},"$select":["name"]}`:             true,
		`{"age":{"$in":[1,2]}}`:                               true,
		`{"secret":"x"}`:                                      false,
		`{"nope":1}`:                                          false,
		`{"age":{"$regex":"x"}}`:                              false,
		`{"active":{"$gt":true}}`:                             false,
		`{"$sort":{"age":2}}`:                                 false,
	} {
		var v any
		json.Unmarshal([]byte(doc), &v)
		if err := query.Validate(v); (err == nil) != ok {
			t.Errorf("query %s: %v, want valid %v", doc, err, ok)
		}
	}
	if got := st.QueryFields(); !contains(got, "address.city") || contains(got, "secret") {
		t.Errorf("query fields %v", got)
	}
}

func TestDecodeProblems(t *testing.T) {
	st := schema.For[Person]()
	var p Person
	_, err := st.DecodeJSON([]byte(`{"name":5,"age":"x","nope":1,"id":7}`), reflect.ValueOf(&p), schema.Decoding{External: true})
	se, ok := err.(*schema.Error)
	if !ok || len(se.Problems) != 3 {
		t.Fatalf("problems %v", err)
	}
	if p.ID != 0 {
		t.Error("a read-only field was decoded from a client")
	}
	m := map[string]any{"name": "Ada", "age": 31.0, "born": "2026-01-02T03:04:05Z", "address": map[string]any{"city": "Oslo"}}
	if _, err := st.DecodeMap(m, reflect.ValueOf(&p), schema.Decoding{}); err != nil || p.Age != 31 || p.Born.Year() != 2026 || p.Address.City != "Oslo" {
		t.Fatalf("DecodeMap: %+v %v", p, err)
	}
	if _, err := st.DecodeMap(map[string]any{"age": 1.5}, reflect.ValueOf(&p), schema.Decoding{}); err == nil {
		t.Error("1.5 went into an int")
	}
	back := st.ToMap(reflect.ValueOf(p), nil)
	if back["name"] != "Ada" || back["address"].(map[string]any)["city"] != "Oslo" || back["email"] != nil {
		t.Errorf("ToMap: %v", back)
	}
}

func TestBadTagsPanic(t *testing.T) {
	type bad struct {
		N int `json:"n" minimum:"zero"`
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "minimum") {
			t.Errorf("panic %v", r)
		}
	}()
	schema.For[bad]()
}

// FuzzDecodeJSON: any body decodes or is refused with problems, never a
// panic; what the checks accept, the JSON Schema accepts too.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"Ada"}`, `{"name":"Ada","age":3,"tags":["x"],"address":{"city":"c"}}`, `{"age":1e400}`, `{"name":"\u0000"}`, `null`, `{"born":"2026-01-02T03:04:05Z","name":"x"}`} {
		f.Add(s)
	}
	st := schema.For[Person]()
	data := compile(&testing.T{}, st.JSONSchema(schema.Data, schema.Refs{}))
	f.Fuzz(func(t *testing.T, doc string) {
		var p Person
		given, err := st.DecodeJSON([]byte(doc), reflect.ValueOf(&p), schema.Decoding{External: true})
		if err != nil {
			if _, ok := err.(*schema.Error); !ok {
				t.Fatalf("%q: %T %v", doc, err, err)
			}
			return
		}
		if err := st.Validate(reflect.ValueOf(&p), func(n string) bool { return contains(given, n) }, true); err != nil {
			return
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			t.Fatalf("%q was accepted but is not JSON", doc)
		}
		if err := data.Validate(v); err != nil {
			t.Fatalf("%q passed the checks but not the JSON Schema: %v", doc, err)
		}
	})
}

func TestIsEmail(t *testing.T) {
	cases := map[string]bool{
		"ada@example.com":          true,
		"ada.lovelace+chat@ex.co":  true,
		"a@b.c":                    true,
		"ADA@Example.COM":          true,
		"ada@sub.example.co.uk":    true,
		"ada@example":              false, // no dot in the domain
		"a@b":                      false,
		"ada.example.com":          false, // no @
		"@example.com":             false, // no local part
		"ada@":                     false,
		"ada@@example.com":         false,
		"ada@ex@ample.com":         false,
		"ada lovelace@example.com": false,
		"ada@example .com":         false,
		"ada@example.com\n":        false,
		"ada@.example.com":         false,
		"ada@example.com.":         false,
		"ada@example..com":         false,
		"":                         false,
	}
	for s, want := range cases {
		if got := schema.IsEmail(s); got != want {
			t.Errorf("IsEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIndexTag(t *testing.T) {
	type rec struct {
		A string `json:"a" index:"true"`
		B string `json:"b" index:"unique"`
		C string `json:"c"`
	}
	st := schema.Of(reflect.TypeFor[rec]())
	for _, tc := range []struct {
		name            string
		indexed, unique bool
	}{{"a", true, false}, {"b", true, true}, {"c", false, false}} {
		if f := st.Field(tc.name); f.Indexed != tc.indexed || f.Unique != tc.unique {
			t.Errorf("%s: indexed %v unique %v, want %v %v", tc.name, f.Indexed, f.Unique, tc.indexed, tc.unique)
		}
	}
	type bad struct {
		A string `json:"a" index:"yes"`
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `tag index: "yes"`) {
			t.Errorf("index:\"yes\": panic %v, want one naming the tag", r)
		}
	}()
	schema.Of(reflect.TypeFor[bad]())
}
