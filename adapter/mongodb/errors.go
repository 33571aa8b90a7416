package mongodb

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/pinionhq/pinion"
)

// wrap turns a driver error into what callers see:
//
//   - a unique-index violation is a 409 Conflict, "Duplicate value for
//     '<field>'" with data {"field": …} when the field is known (never the
//     E11000 text);
//   - data or a query the server refuses as such (see refusals) is a 400
//     BadRequest naming the server's reason;
//   - a database that does not answer (Down: unreachable, a broken
//     connection, a driver timeout) is a 503 Unavailable;
//   - anything else is a Go error that wraps the driver's, which the core
//     reports as a GeneralError whose message it hides in production. Context
//     errors stay visible to errors.Is, so a deadline is a Timeout.
//
// The Feathers error keeps the driver's error as its cause, for logs.
func (s *Service) wrap(op string, err error) error {
	if fields, ok := s.duplicate(err); ok {
		return conflict(fields, err)
	}
	if reason, ok := refused(err); ok {
		return pinion.BadRequest("The database refused the %s: %s", op, reason).Wrap(err)
	}
	if Down(err) {
		return errUnavailable.Wrap(fmt.Errorf("mongodb: %s %s: %w", op, s.coll.Name(), err))
	}
	return fmt.Errorf("mongodb: %s %s: %w", op, s.coll.Name(), err)
}

// conflict is the error of a unique-index violation on fields (nil when they
// are unknown).
func conflict(fields []string, cause error) error {
	if len(fields) == 0 {
		return pinion.Conflict("Duplicate value").Wrap(cause)
	}
	field := strings.Join(fields, ", ")
	return pinion.Conflict("Duplicate value for '%s'", field).
		WithData(map[string]any{"field": field}).Wrap(cause)
}

// refusals are the server error codes that only the content of a request can
// cause: an $inc of a string, $push to a non-array, $set and $unset of one
// field, a bad field name.
var refusals = map[int]string{
	2:  "BadValue",
	9:  "FailedToParse",
	14: "TypeMismatch",
	28: "PathNotViable",
	40: "ConflictingUpdateOperators",
	52: "DollarPrefixedFieldName",
	56: "EmptyFieldName",
	57: "DottedFieldName",
	66: "ImmutableField",
}

func refused(err error) (string, bool) {
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return "", false
	}
	for code, name := range refusals {
		if se.HasErrorCode(code) {
			return name, true
		}
	}
	return "", false
}

// duplicate reports whether err is a unique-index violation, and the fields of
// that index when they can be told.
//
// FerretDB reports one that happens in an update (findAndModify, update) not
// as E11000 but as an InternalError quoting SQLite: "UNIQUE constraint failed:
// index '<table>_<index name>'"; that is a duplicate too.
func (s *Service) duplicate(err error) ([]string, bool) {
	if mongo.IsDuplicateKeyError(err) {
		if fields := keyFields(err); fields != nil {
			return fields, true
		}
		if m := mongoIndex.FindStringSubmatch(err.Error()); m != nil {
			return s.indexFields(m[1]), true
		}
		return s.indexFields(""), true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		if m := sqliteIndex.FindStringSubmatch(se.Error()); m != nil {
			return s.indexFields(s.ferretIndexName(m[1])), true
		}
	}
	return nil, false
}

var (
	// MongoDB: "E11000 duplicate key error collection: db.users index: email_1 dup key: …".
	mongoIndex = regexp.MustCompile(`index: (\S+) dup key`)
	// FerretDB with SQLite: "UNIQUE constraint failed: index 'users_1a2b3c4d_email_1'".
	sqliteIndex = regexp.MustCompile(`UNIQUE constraint failed: index '([^']+)'`)
)

// keyFields reads the fields of the violated index from the keyPattern or
// keyValue that MongoDB 4.4 and later attach to a duplicate-key error.
func keyFields(err error) []string {
	var raws []bson.Raw
	var we mongo.WriteException
	if errors.As(err, &we) {
		for _, e := range we.WriteErrors {
			raws = append(raws, e.Raw)
		}
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		for _, e := range bwe.WriteErrors {
			raws = append(raws, e.Raw)
		}
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		raws = append(raws, ce.Raw)
	}
	for _, raw := range raws {
		for _, key := range [...]string{"keyPattern", "keyValue"} {
			doc, ok := raw.Lookup(key).DocumentOK()
			if !ok {
				continue
			}
			elems, err := doc.Elements()
			if err != nil || len(elems) == 0 {
				continue
			}
			fields := make([]string, len(elems))
			for i, e := range elems {
				fields[i] = e.Key()
			}
			return fields
		}
	}
	return nil
}
