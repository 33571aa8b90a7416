package typescript_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/typescript"
)

type Address struct {
	Street string `json:"street" required:"true"`
	City   string `json:"city,omitempty"`
}

type Task struct {
	ID       int            `json:"id" readOnly:"true"`
	Title    string         `json:"title" required:"true" minLength:"1" doc:"what to do"`
	Done     bool           `json:"done"`
	Priority string         `json:"priority,omitempty" enum:"low,high"`
	Level    int            `json:"level,omitempty" enum:"1,2,3"`
	Due      *time.Time     `json:"due,omitempty"`
	Tags     []string       `json:"tags,omitempty"`
	Owner    bson.ObjectID  `json:"owner" readOnly:"true"`
	Secret   string         `json:"secret,omitempty" protected:"true"`
	Where    *Address       `json:"where,omitempty"`
	Stops    []Address      `json:"stops,omitempty"`
	Meta     map[string]int `json:"meta,omitempty"`
	Extra    any            `json:"extra,omitempty"`
	Dash     string         `json:"x-dash,omitempty"`
}

// noop is a custom method.
func noop(ctx context.Context, data any, p *pinion.Params) (any, error) { return data, nil }

func generate(t *testing.T, app *pinion.App) string {
	t.Helper()
	b, err := typescript.Generate(app)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// has fails t for each snippet the module lacks.
func has(t *testing.T, ts string, snippets ...string) {
	t.Helper()
	for _, s := range snippets {
		if !strings.Contains(ts, s) {
			t.Errorf("the module lacks\n%s", s)
		}
	}
	if t.Failed() {
		t.Logf("module:\n%s", ts)
	}
}

// A typed service's types say what its struct does, field by field and in
// its order.
func TestTypedService(t *testing.T) {
	app := pinion.New()
	pinion.Use(app, "tasks", memory.Typed[Task, int](memory.Options{Options: adapter.Options{
		Paginate: pinion.Paginate{Default: 10}, Multi: []pinion.Method{pinion.MethodCreate, pinion.MethodRemove}}}),
		pinion.WithMethod("archive", noop))
	ts := generate(t, app)
	has(t, ts,
		"import type * as feathers from '@feathersjs/feathers'",
		`/** A record of tasks, as the service answers it. */
export interface Tasks {
  readonly id: number
  /** what to do */
  title: string
  done: boolean
  priority?: 'low' | 'high'
  level?: 1 | 2 | 3
  /** format: date-time */
  due?: string | null
  tags?: string[]
  /** an ObjectId, 24 hex digits */
  readonly owner: string
  where?: { street: string; city?: string } | null
  stops?: { street: string; city?: string }[]
  meta?: Record<string, number>
  extra?: unknown
  'x-dash'?: string
}`,
		// data: no read-only fields; the protected one may be sent
		`export interface TasksData {
  /** what to do */
  title: string
  done?: boolean
  priority?: 'low' | 'high'`,
		"  secret?: string\n",
		`export interface TasksPatch {
  /** what to do */
  title?: string
  done?: boolean`,
		// operators per kind
		`  done?: boolean | { $in?: boolean[]; $nin?: boolean[]; $ne?: boolean }`,
		`  id?: number | {
    $in?: number[]
    $nin?: number[]
    $lt?: number
    $lte?: number
    $gt?: number
    $gte?: number
    $ne?: number
  }`,
		`  owner?: string | { $in?: string[]; $nin?: string[]; $ne?: string }`,
		`  $or?: TasksQuery[]
  $and?: TasksQuery[]
  $sort?: {
    id?: 1 | -1
    title?: 1 | -1`,
		`  $select?: ('id' | 'title' | 'done' | 'priority' | 'level' | 'due' | 'tags' | 'owner' | 'where' | 'stops' | 'meta' | 'extra' | 'x-dash')[]
  $limit?: number
  $skip?: number
}`,
		`export interface TasksService {
  find(params?: feathers.Params<TasksQuery>): Promise<feathers.Paginated<Tasks>>
  get(id: feathers.Id, params?: feathers.Params<TasksQuery>): Promise<Tasks>
  create(data: TasksData, params?: feathers.Params<TasksQuery>): Promise<Tasks>
  create(data: TasksData[], params?: feathers.Params<TasksQuery>): Promise<Tasks[]>
  update(id: feathers.Id, data: TasksData, params?: feathers.Params<TasksQuery>): Promise<Tasks>
  patch(id: feathers.Id, data: TasksPatch, params?: feathers.Params<TasksQuery>): Promise<Tasks>
  remove(id: feathers.Id, params?: feathers.Params<TasksQuery>): Promise<Tasks>
  remove(id: null, params?: feathers.Params<TasksQuery>): Promise<Tasks[]>
  remove(id: feathers.NullableId, params?: feathers.Params<TasksQuery>): Promise<Tasks | Tasks[]>
  archive(data: any, params?: feathers.Params<TasksQuery>): Promise<any>
}`,
		"export interface ServiceTypes {\n  tasks: TasksService\n}",
		"  tasks: ['find', 'get', 'create', 'update', 'patch', 'remove', 'archive'],\n} as const",
	)
	record := ts[strings.Index(ts, "export interface Tasks {"):strings.Index(ts, "export interface TasksData")]
	if strings.Contains(record, "secret") {
		t.Error("the record type has the protected field")
	}
	query := ts[strings.Index(ts, "export interface TasksQuery"):]
	if strings.Contains(query[:strings.Index(query, "\n}")], "secret") {
		t.Error("the query type names the protected field")
	}
}

// A service of maps takes its types from the schemas of its Docs, in their
// order; without them, any record.
func TestMapServices(t *testing.T) {
	app := pinion.New()
	app.Use("notes", memory.New(memory.Options{}), pinion.WithMethods(pinion.MethodFind, pinion.MethodCreate), pinion.WithDocs(pinion.Docs{
		Data: `{"type": "object", "required": ["text"], "additionalProperties": false,
			"properties": {"text": {"type": "string", "description": "the note"}, "color": {"enum": ["red", "green"]},
				"$weird key": {"type": ["integer", "null"]}, "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}}},
			"$defs": {"tag": {"type": "string"}}}`,
		Result: `{"type": "object", "required": ["_id"], "properties": {"_id": {"type": "string", "readOnly": true},
			"text": {"type": "string"}, "more": {"type": "object", "additionalProperties": {"type": "number"}}},
			"additionalProperties": true}`,
	}))
	app.Use("login", memory.New(memory.Options{}), pinion.WithMethods(pinion.MethodCreate), pinion.WithDocs(pinion.Docs{
		Data: `{"oneOf": [{"type": "object", "required": ["strategy"], "properties": {"strategy": {"const": "local"}, "email": {"type": "string"}}},
			{"type": "object", "required": ["strategy"], "properties": {"strategy": {"const": "jwt"}, "accessToken": {"type": "string"}}}]}`,
	}))
	app.Use("plain", memory.New(memory.Options{}))
	ts := generate(t, app)
	has(t, ts,
		`export interface Notes {
  readonly _id: string
  text?: string
  more?: Record<string, number>
  [key: string]: unknown
}`,
		`export interface NotesData {
  /** the note */
  text: string
  color?: 'red' | 'green'
  '$weird key'?: number | null
  tags?: string[]
}`,
		"export type NotesPatch = Partial<NotesData>",
		`export interface NotesService {
  find(params?: feathers.Params<NotesQuery>): Promise<Notes[]>
  create(data: NotesData, params?: feathers.Params<NotesQuery>): Promise<Notes>
}`,
		// The query names the record's plain fields, with their operators.
		"  $select?: ('_id' | 'text')[]\n  $skip?: number\n  $sort?: { _id?: 1 | -1; text?: 1 | -1 }\n",
		"  text?: string | {\n    $gt?: string\n",
		"  $limit?: number\n",
		// Without a result schema, any query.
		"  find(params?: feathers.Params): Promise<Plain[]>",
		`export type LoginData =
  | { strategy: 'local'; email?: string }
  | { strategy: 'jwt'; accessToken?: string }
`,
		"export type Login = Record<string, any>",
		"export type Plain = Record<string, any>\n",
		"export type PlainData = Record<string, any>\n",
		"export type PlainPatch = Record<string, any>\n",
		"  patch(id: feathers.Id, data: PlainPatch, params?: feathers.Params): Promise<Plain>\n  remove(",
		"  notes: NotesService\n  login: LoginService\n  plain: PlainService\n}",
	)
}

// A hand-written schema that is not JSON is an error naming the service.
func TestBadDocs(t *testing.T) {
	app := pinion.New()
	app.Use("broken", memory.New(memory.Options{}), pinion.WithDocs(pinion.Docs{Data: `{"type": `}))
	_, err := typescript.Generate(app)
	if err == nil || !strings.Contains(err.Error(), `"broken"`) {
		t.Fatalf("err = %v", err)
	}
}

// Paths make distinct type names, and property names.
func TestNames(t *testing.T) {
	app := pinion.New()
	for _, p := range []string{"to-dos", "to_dos", "2fa", "orgs/:orgId/projects", "service-types"} {
		app.Use(p, memory.New(memory.Options{}))
	}
	ts := generate(t, app)
	has(t, ts,
		"export interface ToDosService {", "export interface ToDos2Service {", "export interface Service2faService {",
		"export interface OrgsOrgIdProjectsService {", "export interface ServiceTypes2Service {",
		"  'to-dos': ToDosService\n  to_dos: ToDos2Service\n  '2fa': Service2faService\n  'orgs/:orgId/projects': OrgsOrgIdProjectsService\n",
	)
}

func Example() {
	type Todo struct {
		ID    int    `json:"id" readOnly:"true"`
		Title string `json:"title" required:"true"`
		Done  bool   `json:"done"`
	}
	app := pinion.New()
	pinion.Use(app, "todos", memory.Typed[Todo, int](memory.Options{}))
	b, _ := typescript.Generate(app)
	ts := string(b)
	fmt.Print(ts[strings.Index(ts, "export interface Todos {"):strings.Index(ts, "/** What patch")])
	// Output:
	// export interface Todos {
	//   readonly id: number
	//   title: string
	//   done: boolean
	// }
	//
	// /** What create and update take. */
	// export interface TodosData {
	//   title: string
	//   done?: boolean
	// }
}

// Archive is the data of a typed custom method.
type Archive struct {
	Reason string `json:"reason" maxLength:"200"`
}

// Stats is what a typed custom method without an id answers.
type Stats struct {
	Open int `json:"open"`
}

// Typed custom methods take and answer their declared types; one acting on
// a record takes its id inside the data.
func TestTypedCustomMethods(t *testing.T) {
	app := pinion.New()
	tasks := pinion.Use(app, "tasks", memory.Typed[Task, int](memory.Options{}), pinion.WithMethod("noop", noop))
	pinion.AddCustomOn(tasks, "archive", func(ctx context.Context, id int, d Archive, p *pinion.Params) (Task, error) {
		return tasks.Get(ctx, id, p)
	})
	pinion.AddCustom(tasks, "stats", func(ctx context.Context, _ struct{}, p *pinion.Params) (Stats, error) {
		return Stats{}, nil
	})
	ts := generate(t, app)
	has(t, ts,
		"export interface TasksArchiveData {\n  reason?: string\n  id: number\n}",
		"export type TasksArchiveResult = Tasks\n",
		"export interface TasksStatsResult {\n  open: number\n}",
		"  archive(data: TasksArchiveData, params?: feathers.Params<TasksQuery>): Promise<TasksArchiveResult>\n",
		"  stats(data: TasksStatsData, params?: feathers.Params<TasksQuery>): Promise<TasksStatsResult>\n",
		"  noop(data: any, params?: feathers.Params<TasksQuery>): Promise<any>\n",
		"tasks: ['find', 'get', 'create', 'update', 'patch', 'remove', 'noop', 'archive', 'stats'],",
	)
}
