package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one schema change, from migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the schema changes this binary knows, in order.
func Migrations() []Migration { return slices.Clone(migrations()) }

var migrations = sync.OnceValue(loadMigrations)

func loadMigrations() []Migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []Migration
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("migration file %s: name it NNNN_what.sql", n))
		}
		src, err := migrationFiles.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(src)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version != i+1 {
			panic(fmt.Sprintf("migration %04d_%s: versions must run 1, 2, 3... without gaps", out[i].Version, out[i].Name))
		}
	}
	return out
}

// LatestVersion is the schema version this binary runs on.
func LatestVersion() int { return len(migrations()) }

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies the migrations the database lacks, each in its own transaction, and returns
// those it applied (none when the schema was up to date). Processes migrating at once take turns
// on an advisory lock, so each migration runs exactly once. The schema named by the pool's
// search_path (Options.Schema) is created if absent.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]Migration, error) {
	schema := pool.Config().ConnConfig.RuntimeParams["search_path"]
	if schema != "" && !identifier.MatchString(schema) {
		return nil, fmt.Errorf("search_path %q: Migrate creates one schema; give it as Options.Schema", schema)
	}
	var applied []Migration
	for _, m := range migrations() {
		did, err := migrateOne(ctx, pool, schema, m)
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

func migrateOne(ctx context.Context, pool *pgxpool.Pool, schema string, m Migration) (bool, error) {
	did := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Serialises migrators of one schema; other schemas migrate undisturbed.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('afterglow migrate ' || $1, 0))`, schema); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return fmt.Errorf("create schema %s: %w", schema, err)
			}
		}
		if _, err := tx.Exec(ctx, migrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var newest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if newest > LatestVersion() {
			return newerError(newest)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if done {
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
		}
		did = true
		return nil
	})
	return did, err
}

func newerError(v int) error {
	return fmt.Errorf("the database schema is at version %d, newer than this binary knows (%d): run a newer afterglow, or point it at another database", v, LatestVersion())
}

// CheckSchema fails unless the database has exactly the schema this binary knows, and says what
// to run when it has not.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("check the database schema: %w", err)
	}
	if !exists {
		return fmt.Errorf("the database has no Afterglow tables: run `afterglow migrate` first")
	}
	rows, err := pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("check the database schema: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("check the database schema: %w", err)
	}
	latest := LatestVersion()
	have := map[int]bool{}
	newest := 0
	for _, v := range versions {
		have[v] = true
		newest = max(newest, v)
	}
	if newest > latest {
		return newerError(newest)
	}
	var missing []string
	for _, m := range Migrations() {
		if !have[m.Version] {
			missing = append(missing, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the database schema lacks migrations %s: run `afterglow migrate`", strings.Join(missing, ", "))
	}
	return nil
}
