package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinionhq/pinion/adapter/mongodb/embedded"
	"github.com/pinionhq/pinion/internal/natstest"
	sioclient "github.com/pinionhq/pinion/transport/socketio/socketiotest"
)

// TestTwoInstances runs two Pinion instances on one database and one NATS: a
// client of one instance gets the events caused on the other, and a logout on
// one ends the session on the other. The database is a MongoDB (the embedded
// FerretDB of the tests) or the embedded store's file, shared by the two
// processes through their data directory.
func TestTwoInstances(t *testing.T) {
	t.Run("mongodb", func(t *testing.T) {
		store, err := embedded.Start(context.Background(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		twoInstances(t, "mongodb", map[string]string{"MONGODB_URL": strings.TrimSuffix(store.URI(), "/") + "/cluster"})
	})
	t.Run("sqlite", func(t *testing.T) {
		twoInstances(t, "sqlite", map[string]string{"DATA_DIR": t.TempDir()})
	})
}

func twoInstances(t *testing.T, storage string, env map[string]string) {
	env["NATS_URL"] = natstest.Server(t, false)
	a := startPinion(t, storage, env)
	b := startPinion(t, storage, env)

	token := login(t, a.URL, "cluster@example.com")
	var mu sync.Mutex
	var events []string
	conn, err := sioclient.Dial(b.URL, func(name string, data json.RawMessage, at time.Time) {
		mu.Lock()
		events = append(events, name+" "+string(data))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Login(token); err != nil { // a token issued by A works on B
		t.Fatal(err)
	}
	if status, m := api(t, a.URL, "POST", "/messages", token, map[string]any{"text": "from A"}); status != 201 {
		t.Fatalf("create on A: %d %v", status, m)
	}
	saw := func(prefix string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range events {
			if strings.HasPrefix(e, prefix) {
				return true
			}
		}
		return false
	}
	eventually(t, "B's client receiving A's message", func() bool { return saw(`messages created {"_id"`) })
	mu.Lock()
	leaked := strings.Contains(strings.Join(events, "\n"), `"password"`)
	mu.Unlock()
	if leaked {
		t.Fatal("a password crossed the cluster to a client")
	}

	// Logout on A: the socket on B hears of the revocation (through the
	// database).
	if status, _ := api(t, a.URL, "DELETE", "/authentication", token, nil); status != 200 {
		t.Fatal("logout on A")
	}
	eventually(t, "B ending the revoked session", func() bool { return saw("authentication revoked") })
	if status, _ := api(t, b.URL, "GET", "/messages", token, nil); status != 401 {
		t.Fatalf("B accepted a token revoked on A: %d", status)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
