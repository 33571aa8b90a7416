package pinion_test

// Adversarial review (issue #17 follow-up) of what owner hooks do with a
// client's query.

import (
	"context"
	"testing"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
)

// Found by the review (correctness, not a leak), fixed since: when a client's query names the owner
// field, WithOwner moves that condition into $and (owner.go scope). A $and
// sent over REST as qs makes it, $and[0][title]=x, arrives as an object of
// indices {"0": {...}}, which the query check and the adapters accept as a
// list; scope appends that object as ONE sub-query, so the client's
// conditions become a condition on a field named "0" and the find answers
// nothing, where the same query without ownerId answers the card.
func TestReviewOwnerScopeKeepsQsAnd(t *testing.T) {
	ctx := context.Background()
	app := pinion.New()
	members := pinion.Use(app, "members", memory.Typed[Member, int](memory.Options{Options: adapter.Options{ID: "_id"}}))
	cards := pinion.Use(app, "cards", memory.Typed[Card, int](memory.Options{}), pinion.WithOwner(members.Identity(), "ownerId"))
	ada := func(q map[string]any) *pinion.Params {
		return &pinion.Params{Provider: pinion.ProviderREST, User: map[string]any{"_id": 1.0, "email": "ada@example.com"}, Query: q}
	}
	if _, err := cards.Create(ctx, Card{Title: "x"}, ada(nil)); err != nil {
		t.Fatal(err)
	}
	qsAnd := map[string]any{"0": map[string]any{"title": "x"}}
	without, err := cards.Find(ctx, ada(map[string]any{"$and": qsAnd}))
	if err != nil || len(without.Data) != 1 {
		t.Fatalf("$and[0][title]=x: %v %v, want the card", without, err)
	}
	list, err := cards.Find(ctx, ada(map[string]any{"ownerId": "1", "$and": []any{map[string]any{"title": "x"}}}))
	if err != nil || len(list.Data) != 1 {
		t.Fatalf("the same with $and as a JSON list: %v %v, want the card", list, err)
	}
	with, err := cards.Find(ctx, ada(map[string]any{"ownerId": "1", "$and": map[string]any{"0": map[string]any{"title": "x"}}}))
	if err != nil || len(with.Data) != 1 {
		t.Errorf("ownerId=1&$and[0][title]=x: %d cards, %v; want the card, as without ownerId", len(with.Data), err)
	}
}
