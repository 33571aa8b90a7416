package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pinionhq/pinion"
)

// wrap turns a database error into what callers see:
//
//   - a unique violation is a 409 Conflict, "Duplicate value for '<fields>'"
//     with data {"field": …}, never SQLite's text;
//   - a value too big for SQLite (a string or record over its limit, 1 GB)
//     is a 400 BadRequest;
//   - a database still locked after the busy timeout is a 503 Unavailable;
//   - anything else is a Go error wrapping the driver's, which the core
//     reports as a GeneralError whose message it hides in production.
//     Context errors stay visible to errors.Is, so a deadline is a Timeout.
//
// Feathers errors keep the driver's error as their cause, for logs.
func (s *Service) wrap(op string, sc *schema, err error) error {
	var fe *pinion.Error
	if errors.As(err, &fe) {
		return err
	}
	if ctxErr := contextError(err); ctxErr != nil {
		return fmt.Errorf("sqlite: %s %s: %w", op, s.table, ctxErr)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return conflict(sc.uniqueFields(se.Error()), err)
		case sqlite3.SQLITE_TOOBIG:
			return pinion.BadRequest("Invalid data: the record is too big").Wrap(err)
		case sqlite3.SQLITE_BUSY:
			return pinion.Unavailable("The database is busy").Wrap(err)
		}
	}
	return fmt.Errorf("sqlite: %s %s: %w", op, s.table, err)
}

// contextError is the context error behind an interrupted statement: the
// driver interrupts SQLite when a call's context ends.
func contextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_INTERRUPT {
		return context.Canceled
	}
	return nil
}

func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// uniqueFields names the fields of the unique index a violation message
// names: "UNIQUE constraint failed: people.k:email, people.v:email (2067)".
func (sc *schema) uniqueFields(msg string) []string {
	const marker = "UNIQUE constraint failed: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return nil
	}
	cols := msg[i+len(marker):]
	if j := strings.LastIndex(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	for _, u := range sc.unique {
		if cols == u.columns {
			return u.fields
		}
	}
	return nil
}

// conflict is the error of a unique violation on fields (nil when unknown).
func conflict(fields []string, cause error) error {
	if len(fields) == 0 {
		return pinion.Conflict("Duplicate value").Wrap(cause)
	}
	field := strings.Join(fields, ", ")
	return pinion.Conflict("Duplicate value for '%s'", field).
		WithData(map[string]any{"field": field}).Wrap(cause)
}
