package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/pinionhq/pinion/authentication"
)

type refreshDoc struct {
	JTI       string    `bson:"_id"`
	Family    string    `bson:"family"`
	Subject   string    `bson:"sub"`
	Issuer    string    `bson:"iss"`
	Until     time.Time `bson:"until"`
	AccessJTI string    `bson:"accessJti,omitempty"`
	AccessExp time.Time `bson:"accessExp"`
	Used      bool      `bson:"used"`
}

func (d refreshDoc) record() authentication.RefreshRecord {
	return authentication.RefreshRecord{JTI: d.JTI, Family: d.Family, Subject: d.Subject, Issuer: d.Issuer,
		Expires: d.Until, AccessJTI: d.AccessJTI, AccessExp: d.AccessExp}
}

// SaveRefresh implements authentication.RefreshTokens.
func (s *Store) SaveRefresh(ctx context.Context, r authentication.RefreshRecord) error {
	_, err := s.refresh.InsertOne(ctx, refreshDoc{JTI: r.JTI, Family: r.Family, Subject: r.Subject, Issuer: r.Issuer,
		Until: r.Expires, AccessJTI: r.AccessJTI, AccessExp: r.AccessExp})
	if err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	return nil
}

// UseRefresh implements authentication.RefreshTokens. A token is spent by
// inserting its jti into the "used_refresh_tokens" collection: the first
// insert wins, every later one is a duplicate key, so two instances racing
// with the same token cannot both win, on MongoDB or on a server whose
// findAndModify is not atomic (FerretDB's is a find, then an update).
func (s *Store) UseRefresh(ctx context.Context, jti string) (authentication.RefreshRecord, error) {
	var d refreshDoc
	err := s.refresh.FindOne(ctx, bson.M{"_id": jti}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return authentication.RefreshRecord{}, authentication.ErrRefreshUnknown
	}
	if err != nil {
		return authentication.RefreshRecord{}, fmt.Errorf("mongostore: %w", err)
	}
	if d.Used { // its family was revoked
		return d.record(), authentication.ErrRefreshReused
	}
	_, err = s.refreshUses.InsertOne(ctx, bson.M{"_id": jti, "until": d.Until})
	if mongo.IsDuplicateKeyError(err) {
		return d.record(), authentication.ErrRefreshReused
	}
	if err != nil {
		return authentication.RefreshRecord{}, fmt.Errorf("mongostore: %w", err)
	}
	if _, err := s.refresh.UpdateOne(ctx, bson.M{"_id": jti}, bson.M{"$set": bson.M{"used": true}}); err != nil {
		return authentication.RefreshRecord{}, fmt.Errorf("mongostore: %w", err)
	}
	return d.record(), nil
}

// RevokeFamily implements authentication.RefreshTokens.
func (s *Store) RevokeFamily(ctx context.Context, family string) ([]authentication.RefreshRecord, error) {
	cur, err := s.refresh.Find(ctx, bson.M{"family": family})
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", err)
	}
	var docs []refreshDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("mongostore: %w", err)
	}
	if _, err := s.refresh.UpdateMany(ctx, bson.M{"family": family}, bson.M{"$set": bson.M{"used": true}}); err != nil {
		return nil, fmt.Errorf("mongostore: %w", err)
	}
	out := make([]authentication.RefreshRecord, len(docs))
	for i, d := range docs {
		out[i] = d.record()
	}
	return out, nil
}

// UseTicket implements authentication.TicketStore: the first instance to insert
// the ticket's jti wins, every later use is a duplicate key.
func (s *Store) UseTicket(ctx context.Context, jti string, exp time.Time) error {
	_, err := s.tickets.InsertOne(ctx, bson.M{"_id": jti, "until": exp})
	if mongo.IsDuplicateKeyError(err) {
		return authentication.ErrTicketUsed
	}
	if err != nil {
		return fmt.Errorf("mongostore: %w", err)
	}
	return nil
}

func (s *Store) refreshIndexes(ctx context.Context) {
	if _, err := s.refresh.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "family", Value: 1}}}); err != nil {
		s.logger.Warn("creating the refresh token index", "error", err)
	}
}
