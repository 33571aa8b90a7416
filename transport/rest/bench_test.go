package rest_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
	"github.com/pinionhq/pinion/transport/rest"
)

func benchServer(b *testing.B) (*gin.Engine, string) {
	app := pinion.New()
	store := memory.New(memory.Options{Options: adapter.Options{ID: "_id", Paginate: pinion.Paginate{Default: 10, Max: 50}}})
	svc := app.Use("messages", store)
	res, _ := svc.Create(b.Context(), map[string]any{"text": "hello", "userId": 0.0, "createdAt": 1795354726418.0}, nil)
	for i := range 100 {
		svc.Create(b.Context(), map[string]any{"text": "filler", "userId": 1.0, "createdAt": float64(i)}, nil)
	}
	engine := gin.New()
	rest.New(app, rest.Options{}).Mount(engine)
	return engine, pinion.IDString(res.(map[string]any)["_id"])
}

// BenchmarkGet is GET /messages/:id through gin, the REST handler, the hook chain
// and the memory adapter, with the JSON answer.
func BenchmarkGet(b *testing.B) {
	engine, id := benchServer(b)
	req := httptest.NewRequest("GET", "/messages/"+id, nil)
	req.Header.Set("Authorization", "Bearer token")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// BenchmarkFind is a find with a Feathers query string as the rest client sends it.
func BenchmarkFind(b *testing.B) {
	engine, _ := benchServer(b)
	req := httptest.NewRequest("GET", "/messages?%24limit=10&%24sort%5BcreatedAt%5D=-1&userId%5B%24in%5D%5B0%5D=1", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// BenchmarkCreate is POST /messages: the record created, its event given to
// the listeners, the history and the channels (none connected), the answer.
func BenchmarkCreate(b *testing.B) {
	engine, _ := benchServer(b)
	body := `{"text":"a chat message of ordinary length","userId":1,"createdAt":1795354726418}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		if w.Code != 201 {
			b.Fatal(w.Code, w.Body)
		}
	}
}
