package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pinionhq/pinion"
	"github.com/pinionhq/pinion/adapter/sqlite"
	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/sqlitestore"
	"github.com/pinionhq/pinion/config"
	"github.com/pinionhq/pinion/internal/ferretdb"
)

// FormerStoreDir is where the former embedded store, FerretDB on SQLite, kept
// its files in the data directory, and MigratedMarker the file that says they
// were migrated.
const (
	FormerStoreDir = "mongodb"
	MigratedMarker = "MIGRATED"
)

// migrateFerretDB moves the data of the former embedded store into the new
// one, once: when DATA_DIR/mongodb holds the database file of FerretDB
// ("<database>.sqlite") and DATA_DIR/pinion.db does not exist yet. It reads
// FerretDB's files directly (internal/ferretdb) and writes a new file next to
// pinion.db, renamed into place only when every collection was copied: a
// migration that fails, or that a crash interrupts, leaves no pinion.db, and
// the next start tries again. The old files are left as they were, with a
// MIGRATED note beside them; the server never reads them again.
//
// Every collection is copied: users and messages into the chat's tables with
// their indexes, the authentication state (revocations, failed logins,
// refresh tokens, spent tickets) into sqlitestore, any other collection into a
// table of its name, without indexes. Values JSON cannot hold as they were (a
// regular expression, a timestamp) are logged one by one.
func migrateFerretDB(ctx context.Context, cfg *config.Config, path string, sync sqlite.Synchronous, logger *slog.Logger) error {
	dir := filepath.Join(cfg.DataDir, FormerStoreDir)
	src := filepath.Join(dir, cfg.Database+".sqlite")
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		if others, _ := filepath.Glob(filepath.Join(dir, "*.sqlite")); len(others) > 0 {
			logger.Warn("the former embedded store's directory holds databases other than the server's, which are not migrated",
				"dir", dir, "database", cfg.Database, "files", others)
		}
		return nil
	} else if err != nil {
		return fmt.Errorf("the former embedded store: %w", err)
	}
	marker := filepath.Join(dir, MigratedMarker)
	_, markerErr := os.Stat(marker)
	_, pathErr := os.Stat(path)
	switch {
	case markerErr == nil && pathErr == nil:
		return nil // migrated before
	case markerErr == nil:
		logger.Warn("the former embedded store was migrated before, but its migration is missing: starting empty; remove the MIGRATED file to migrate it again",
			"dir", dir, "file", path)
		return nil
	case pathErr == nil:
		logger.Warn("the former embedded store was not migrated, since the embedded store exists already; move it away to migrate the former one",
			"dir", dir, "file", path)
		return nil
	}

	logger.Info("migrating the former embedded store (FerretDB) into the embedded SQLite store", "from", src, "to", path)
	started := time.Now()
	tmp := path + ".migrating"
	removeDB(tmp)
	summary, err := migrate(ctx, cfg, src, tmp, sync, logger)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		removeDB(tmp)
		return fmt.Errorf("migrating the former embedded store in %s: %w (its files are unchanged; fix the cause, or move them away to start without them)", dir, err)
	}
	note := fmt.Sprintf("Migrated into %s on %s by Pinion.\n%s\nThese files are no longer read; remove them once satisfied.\n",
		path, started.UTC().Format(time.RFC3339), strings.Join(summary, "\n"))
	if err := os.WriteFile(marker, []byte(note), 0o600); err != nil {
		logger.Warn("writing the migration note", "error", err)
	}
	logger.Info("migrated the former embedded store; its files are kept, unused, until you remove them",
		"dir", dir, "took", time.Since(started).Round(time.Millisecond), "collections", strings.Join(summary, "; "))
	return nil
}

// migrate copies every collection of the FerretDB file src into a new
// database at dst, returning one line per collection.
func migrate(ctx context.Context, cfg *config.Config, src, dst string, sync sqlite.Synchronous, logger *slog.Logger) ([]string, error) {
	f, err := ferretdb.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	colls, err := f.Collections(ctx)
	if err != nil {
		return nil, err
	}
	// Tokens before their uses: "refresh_tokens" sorts before
	// "used_refresh_tokens".
	sort.Slice(colls, func(i, j int) bool { return colls[i].Name < colls[j].Name })
	db, err := sqlite.Open(dst, sqlite.WithSynchronous(sync))
	if err != nil {
		return nil, err
	}
	store := sqlitestore.New(db, sqlitestore.Options{Logger: logger})
	if err := store.Start(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var summary []string
	for _, c := range colls {
		n, err := copyCollection(ctx, cfg, f, c, db, store, logger)
		if err != nil {
			store.Close()
			db.Close()
			return nil, fmt.Errorf("collection %s: %w", c.Name, err)
		}
		summary = append(summary, fmt.Sprintf("%s: %d", c.Name, n))
	}
	store.Close()
	// Closing checkpoints the WAL into the file, which then stands alone.
	if err := db.Close(); err != nil {
		return nil, err
	}
	return summary, nil
}

// copyCollection copies one collection and returns how many documents it
// held.
func copyCollection(ctx context.Context, cfg *config.Config, f *ferretdb.File, c ferretdb.Collection, db *sqlite.DB, store *sqlitestore.Store, logger *slog.Logger) (int, error) {
	var each func(map[string]any) error
	var flush func() error
	switch c.Name {
	case "revocations":
		each = func(d map[string]any) error {
			until, _ := d["until"].(time.Time)
			switch d["kind"] {
			case "jti":
				return store.Revoke(ctx, str(d["iss"]), str(d["jti"]), until)
			case "sub":
				va, _ := d["validAfter"].(time.Time)
				return store.RevokeSubject(ctx, str(d["sub"]), va, until.Sub(va))
			}
			return fmt.Errorf("a revocation of unknown kind: %v", d)
		}
	case "login_attempts":
		each = func(d map[string]any) error {
			start, _ := d["start"].(time.Time)
			until, _ := d["until"].(time.Time)
			count, _ := d["count"].(float64)
			return store.ImportFailures(ctx, str(d["_id"]), int(count), start, until)
		}
	case "refresh_tokens":
		each = func(d map[string]any) error {
			r := authentication.RefreshRecord{JTI: str(d["_id"]), Family: str(d["family"]), Subject: str(d["sub"]), Issuer: str(d["iss"]),
				AccessJTI: str(d["accessJti"])}
			r.Expires, _ = d["until"].(time.Time)
			r.AccessExp, _ = d["accessExp"].(time.Time)
			if err := store.SaveRefresh(ctx, r); err != nil {
				return err
			}
			if d["used"] == true {
				return spend(store.UseRefresh(ctx, r.JTI))
			}
			return nil
		}
	case "used_refresh_tokens":
		each = func(d map[string]any) error { return spend(store.UseRefresh(ctx, str(d["_id"]))) }
	case "used_tickets":
		each = func(d map[string]any) error {
			until, _ := d["until"].(time.Time)
			if err := store.UseTicket(ctx, str(d["_id"]), until); err != nil && !errors.Is(err, authentication.ErrTicketUsed) {
				return err
			}
			return nil
		}
	default:
		var opts sqlite.Options
		switch c.Name {
		case "users":
			opts = UserOptions(cfg)
		case "messages":
			opts = MessageOptions(cfg)
		default:
			logger.Info("migrating a collection the server does not use, into a table of its name without indexes", "collection", c.Name)
		}
		opts.ID = "_id"
		opts.Multi = []pinion.Method{pinion.MethodCreate}
		opts.Paginate = pinion.Paginate{}
		svc := sqlite.New(db, c.Name, opts)
		var batch []any
		flush = func() error {
			if len(batch) == 0 {
				return nil
			}
			_, err := svc.Create(ctx, batch, nil)
			batch = batch[:0]
			return err
		}
		each = func(d map[string]any) error {
			batch = append(batch, d)
			if len(batch) == 500 {
				return flush()
			}
			return nil
		}
	}
	n := 0
	err := f.Documents(ctx, c, func(doc ferretdb.Document) error {
		n++
		for _, note := range doc.Notes {
			logger.Warn("migrating a value JSON cannot hold as it was", "collection", c.Name, "_id", pinion.IDString(doc.Data["_id"]), "field", note)
		}
		return each(doc.Data)
	})
	if err == nil && flush != nil {
		err = flush()
	}
	return n, err
}

func str(v any) string { s, _ := v.(string); return s }

// spend ignores what UseRefresh answers for a token already spent or never
// stored: either way it ends spent, or absent, as in the source.
func spend(_ authentication.RefreshRecord, err error) error {
	if errors.Is(err, authentication.ErrRefreshReused) || errors.Is(err, authentication.ErrRefreshUnknown) {
		return nil
	}
	return err
}

// removeDB removes a database file and its WAL and shared-memory files.
func removeDB(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		os.Remove(p)
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
