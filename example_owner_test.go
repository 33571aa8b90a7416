package pinion_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter"
	"github.com/pinionhq/pinion/adapter/memory"
)

// Card is the record of the ownership example: a card belongs to a member.
type Card struct {
	ID      int    `json:"id" readOnly:"true"`
	OwnerID int    `json:"ownerId" readOnly:"true"`
	Title   string `json:"title" required:"true"`
	Done    bool   `json:"done" readOnly:"true"`
}

// Finish is the data of the finish method.
type Finish struct {
	Note string `json:"note" maxLength:"100"`
}

// Ownership in one option, a typed custom method on one record, and the
// caller read as the app's user type.
func ExampleWithOwner() {
	ctx := context.Background()
	app := pinion.New()
	members := pinion.Use(app, "members", memory.Typed[Member, int](memory.Options{Options: adapter.Options{ID: "_id"}}))
	me := members.Identity()
	cards := pinion.Use(app, "cards", memory.Typed[Card, int](memory.Options{}), pinion.WithOwner(me, "ownerId"))
	finish := pinion.AddCustomOn(cards, "finish", func(ctx context.Context, id int, d Finish, p *pinion.Params) (Card, error) {
		who, _ := me.User(p)
		fmt.Printf("%s finishes card %d: %s\n", who.Email, id, d.Note)
		return cards.Patch(ctx, id, pinion.NewPatch(Card{Done: true}, "done"), p)
	})

	// What the authenticate hook would put in the params of ada's and bob's calls.
	ada := &pinion.Params{Provider: pinion.ProviderREST, User: map[string]any{"_id": 1.0, "email": "ada@example.com"}}
	bob := &pinion.Params{Provider: pinion.ProviderREST, User: map[string]any{"_id": 2.0, "email": "bob@example.com"}}

	card, _ := cards.Create(ctx, Card{Title: "write the docs", OwnerID: 2}, ada)
	fmt.Println("owner:", card.OwnerID)
	_, err := cards.Get(ctx, card.ID, bob)
	fmt.Println("bob's get is a NotFound:", errors.Is(err, pinion.NotFound("")))
	done, _ := finish.Call(ctx, card.ID, Finish{Note: "shipped"}, ada)
	fmt.Println("done:", done.Done)
	_, err = cards.Find(ctx, nil)
	fmt.Println("an internal find must choose:", err != nil)
	all, _ := cards.Find(ctx, pinion.AllOwners(nil))
	fmt.Println("every owner's:", len(all.Data))
	// Output:
	// owner: 1
	// bob's get is a NotFound: true
	// ada@example.com finishes card 0: shipped
	// done: true
	// an internal find must choose: true
	// every owner's: 1
}
