//! Citus schema-based sharding as the scale-out path (issue 20, part 2; docs/operations.md §7):
//! every tenant schema must be one Citus can distribute (`citus_schema_distribute`), keep
//! distributed under the migrations that follow, and move (`citus_schema_move`). Citus is not
//! packaged where this project builds, so the rules are checked here, from two sides:
//!
//! - **The statements** of every tenant migration (and of the preamble the runner applies before
//!   them): DDL Citus refuses on a distributed table, or that it would silently leave on the
//!   coordinator. Each rule names the Citus behaviour it stands for.
//! - **The catalogue** of a provisioned tenant schema: what the schema holds after every
//!   migration (foreign keys across schemas, inheritance, foreign tables, materialized views,
//!   tables without a primary key, types and operators Citus cannot propagate, functions that
//!   read the coordinator's tables, ...).
//!
//! The rules come from the Citus 12.1/13.x sources and regression tests (the releases that run on
//! PostgreSQL 15): `src/backend/distributed/commands/{schema_based_sharding,table,foreign_constraint,
//! trigger,sequence,rename}.c` and `src/test/regress/sql/{schema_based_sharding,
//! create_single_shard_table,citus_schema_distribute_undistribute}.sql`.

use flightline::db::{TENANT_MIGRATIONS_PREAMBLE, tenant_migrations};
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// One SQL statement of a migration: its text in lower case with comments and string literals
/// blanked and whitespace collapsed, and the bodies of its dollar-quoted strings (function and
/// `DO` bodies) apart.
#[derive(Debug)]
struct Statement {
    text: String,
    bodies: Vec<String>,
}

/// Splits `sql` into statements at top-level semicolons, honouring `--` and `/* */` comments,
/// quoted strings and identifiers, and `$tag$` strings.
fn statements(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let (mut text, mut bodies) = (String::new(), Vec::new());
    let mut i = 0;
    let starts = |i: usize, s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
    while i < chars.len() {
        let c = chars[i];
        if starts(i, "--") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            text.push(' ');
        } else if starts(i, "/*") {
            let mut depth = 0;
            while i < chars.len() {
                if starts(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if starts(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            text.push(' ');
        } else if c == '\'' || c == '"' {
            // A literal or a quoted identifier ('' and "" escape the quote).
            i += 1;
            let mut inner = String::new();
            while i < chars.len() {
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        inner.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                inner.push(chars[i]);
                i += 1;
            }
            i += 1;
            // Identifiers stay (they name tables); literal text does not count as SQL.
            if c == '"' {
                text.push_str(&inner.to_lowercase());
            } else {
                text.push_str("''");
            }
        } else if c == '$'
            && let Some(len) = chars[i + 1..]
                .iter()
                .position(|&d| d == '$')
                .filter(|&n| {
                    chars[i + 1..i + 1 + n]
                        .iter()
                        .all(|d| d.is_alphanumeric() || *d == '_')
                })
                .filter(|_| i == 0 || !chars[i - 1].is_alphanumeric())
        {
            let tag: String = chars[i..i + len + 2].iter().collect();
            let body_start = i + len + 2;
            let rest: String = chars[body_start..].iter().collect();
            let end = rest
                .find(&tag)
                .expect("an unterminated dollar-quoted string");
            bodies.push(rest[..end].to_lowercase());
            text.push_str(" $body$ ");
            i = body_start + rest[..end].chars().count() + tag.chars().count();
        } else if c == ';' {
            push_statement(&mut out, &mut text, &mut bodies);
            i += 1;
        } else {
            text.extend(c.to_lowercase());
            i += 1;
        }
    }
    push_statement(&mut out, &mut text, &mut bodies);
    out
}

fn push_statement(out: &mut Vec<Statement>, text: &mut String, bodies: &mut Vec<String>) {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.is_empty() {
        out.push(Statement {
            text: collapsed,
            bodies: std::mem::take(bodies),
        });
    }
    text.clear();
    bodies.clear();
}

/// Splits at commas outside parentheses.
fn top_level_commas(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts
}

fn has_word(s: &str, word: &str) -> bool {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// `ALTER TABLE` subcommands Citus runs on a distributed table (`ErrorIfUnsupportedAlterTableStmt`
/// in commands/table.c; anything else: "alter table command is currently unsupported").
const ALTER_TABLE_SUBCOMMANDS: &[&str] = &[
    "add ",
    "drop column ",
    "drop constraint ",
    "validate constraint ",
    "alter column ",
    "owner to ",
    "set (",
    "reset (",
    "set logged",
    "set unlogged",
    "replica identity ",
    "enable row level security",
    "disable row level security",
    "force row level security",
    "no force row level security",
    "enable trigger ",
    "disable trigger ",
    "attach partition ",
    "detach partition ",
    "set access method ",
];

/// What `ALTER COLUMN` may do on a distributed table.
const ALTER_COLUMN_ACTIONS: &[&str] = &[
    "type ",
    "set data type ",
    "set default ",
    "drop default",
    "set not null",
    "drop not null",
    "set compression ",
];

/// The Citus rules one statement breaks, each with its reason.
fn violations(stmt: &Statement) -> Vec<String> {
    let t = stmt.text.as_str();
    let mut found = Vec::new();
    let mut deny = |cond: bool, why: &str| {
        if cond {
            found.push(why.to_owned());
        }
    };
    deny(
        t.starts_with("create table") && has_word(t, "inherits"),
        "tables in a distributed schema cannot inherit or be inherited",
    );
    deny(
        t.starts_with("create foreign table"),
        "cannot create a foreign table in a distributed schema",
    );
    deny(
        t.starts_with("create table") && t.split(" (").next().is_some_and(|h| h.contains(" of ")),
        "cannot create tables in a distributed schema using CREATE TABLE OF syntax",
    );
    deny(
        t.starts_with("create schema"),
        "a tenant migration creates no schema (the tenant's is made by provisioning)",
    );
    deny(
        t.starts_with("create extension"),
        "extensions live in a shared schema and come with the platform migrations",
    );
    deny(
        t.starts_with("create materialized view"),
        "a materialized view stays on the coordinator and does not move with the schema",
    );
    deny(
        t.starts_with("create rule") || t.starts_with("create or replace rule"),
        "rules are not propagated to the shards",
    );
    deny(
        t.starts_with("alter sequence"),
        "Altering a distributed sequence is currently not supported",
    );
    deny(
        has_word(t, "tablespace"),
        "specifying tablespaces is unsupported on distributed tables",
    );
    deny(
        t.contains(" rename constraint "),
        "renaming constraints belonging to distributed tables is currently unsupported",
    );
    deny(
        (t.starts_with("drop index") || t.starts_with("drop trigger"))
            && top_level_commas(t).len() > 1,
        "cannot drop multiple distributed objects in a single command",
    );
    deny(
        t.starts_with("create table") && t.contains(" partition of "),
        "partitions are checked by hand: parent and child in one schema, one level only",
    );
    deny(
        t.contains("detach partition") && (has_word(t, "concurrently") || has_word(t, "finalize")),
        "DETACH PARTITION CONCURRENTLY / FINALIZE are unsupported",
    );
    if t.starts_with("update ") {
        let volatile = [
            "gen_random_uuid(",
            "random(",
            "clock_timestamp(",
            "nextval(",
            "timeofday(",
        ];
        deny(
            volatile.iter().any(|f| t.contains(f)),
            "functions used in UPDATE queries on distributed tables must not be VOLATILE",
        );
    }
    if t.starts_with("do ") {
        let ddl = [
            "create table",
            "alter table",
            "create index",
            "drop table",
            "create unique index",
        ];
        deny(
            stmt.bodies
                .iter()
                .any(|b| ddl.iter().any(|d| b.contains(d))),
            "a table created or altered inside DO is left a plain coordinator table (Citus converts top-level DDL only)",
        );
    }
    if let Some(rest) = t.strip_prefix("alter table ") {
        let rest = rest.strip_prefix("if exists ").unwrap_or(rest);
        let rest = rest.strip_prefix("only ").unwrap_or(rest);
        // The table's name, then what is done to it.
        let actions = rest.split_once(' ').map(|(_, a)| a).unwrap_or("");
        if actions.starts_with("rename ") {
            // Renaming a table or a column is propagated (a constraint: refused above).
        } else if actions.starts_with("set schema ") {
            found.push("a table moved out of its distributed schema is undistributed".into());
        } else {
            let subcommands = top_level_commas(actions);
            for sub in &subcommands {
                if !ALTER_TABLE_SUBCOMMANDS.iter().any(|p| sub.starts_with(p)) {
                    found.push(format!(
                        "alter table command is currently unsupported: {sub}"
                    ));
                    continue;
                }
                if let Some(column) = sub.strip_prefix("alter column ") {
                    let action = column.split_once(' ').map(|(_, a)| a).unwrap_or("");
                    if !ALTER_COLUMN_ACTIONS.iter().any(|p| action.starts_with(p)) {
                        found.push(format!(
                            "alter table command is currently unsupported: {sub}"
                        ));
                    }
                }
                if let Some(added) = sub.strip_prefix("add ") {
                    let is_constraint = added.starts_with("constraint ");
                    let unnamed_table_constraint =
                        ["primary key", "unique", "foreign key", "check", "exclude"]
                            .iter()
                            .any(|k| added.starts_with(k));
                    if unnamed_table_constraint {
                        found.push(format!(
                            "a constraint added to a distributed table needs a name: {sub}"
                        ));
                    } else if is_constraint {
                        if subcommands.len() > 1 {
                            found.push(
                                "cannot execute ADD CONSTRAINT command with other subcommands"
                                    .into(),
                            );
                        }
                    } else {
                        // ADD [COLUMN] name type [column constraints]
                        deny_added_column(added, &mut found);
                    }
                }
            }
        }
    }
    found
}

/// A column added to an existing (so distributed) table: no serial or identity, and every
/// inline constraint named ("all constraints in Citus must have explicit names").
fn deny_added_column(added: &str, found: &mut Vec<String>) {
    let column = added.strip_prefix("column ").unwrap_or(added);
    if [
        "serial",
        "bigserial",
        "smallserial",
        "serial4",
        "serial8",
        "serial2",
    ]
    .iter()
    .any(|w| has_word(column, w))
        || column.contains(" as identity")
    {
        found.push(format!(
            "cannot execute ADD COLUMN commands involving serial or identity columns: {added}"
        ));
    }
    let inline = ["references", "unique", "check", "primary"]
        .iter()
        .filter(|k| has_word(column, k))
        .count();
    let named = column.matches(" constraint ").count();
    if inline > named {
        found.push(format!(
            "cannot execute ADD COLUMN command with PRIMARY KEY, UNIQUE, FOREIGN and CHECK constraints without explicit names: {added}"
        ));
    }
}

/// Migrations that landed before Citus became the scale-out path and break a statement rule
/// (an `ADD CONSTRAINT` beside other subcommands, an unnamed constraint on an added column).
/// They never run on a distributed schema: every tenant that exists applied them to a plain
/// schema, and a new tenant's schema is migrated while still plain and distributed after
/// (`db::create_tenant_schema`). Nothing may join this list: a new migration runs on existing
/// tenants' distributed schemas and must pass.
const APPLIED_BEFORE_DISTRIBUTION: &[&str] = &[
    "0002_identity",
    "0011_keep_maintenance_history",
    "202612061415_booking_flight_rules",
    "202612061520_keep_pilot_records",
    "202612061830_flights_invoiced",
    "202612070700_charter_trips",
    "202612070840_charter_trip_invoice",
    "202612071200_fbo_fuel_orders",
];

/// Every statement of every tenant migration, and of the preamble, against the rules.
#[test]
fn tenant_migrations_use_only_what_a_citus_distributed_schema_allows() {
    let mut sources: Vec<(String, String)> = vec![(
        "the runner's preamble".to_owned(),
        TENANT_MIGRATIONS_PREAMBLE.to_owned(),
    )];
    sources.extend(tenant_migrations().into_iter().map(|m| (m.key, m.sql)));
    let mut problems = Vec::new();
    let mut counted = 0;
    let mut grandfathered_clean = Vec::new();
    for (name, sql) in &sources {
        let before = problems.len();
        for stmt in statements(sql) {
            counted += 1;
            for why in violations(&stmt) {
                problems.push(format!("{name}: {why}\n    {}", stmt.text));
            }
        }
        if APPLIED_BEFORE_DISTRIBUTION.contains(&name.as_str()) {
            if problems.len() == before {
                grandfathered_clean.push(name.clone());
            }
            problems.truncate(before);
        }
    }
    // The list names real migrations, each of which needs its place on it.
    let keys: Vec<&str> = sources.iter().map(|(k, _)| k.as_str()).collect();
    for key in APPLIED_BEFORE_DISTRIBUTION {
        assert!(keys.contains(key), "{key} is not a tenant migration");
    }
    assert!(
        grandfathered_clean.is_empty(),
        "listed as applied before distribution but breaking no rule: {grandfathered_clean:?}"
    );
    assert!(
        counted > 300,
        "only {counted} statements read: the splitter is broken"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Triggers need the setting on distributed tables; the runner turns it on for the
    // migrations' transaction.
    assert!(
        TENANT_MIGRATIONS_PREAMBLE.starts_with("SET LOCAL citus.enable_unsafe_triggers = on;"),
        "the preamble must allow triggers under Citus"
    );
}

/// The rules themselves: each refuses what it is there for and passes its allowed twin.
#[test]
fn the_citus_rules_refuse_what_citus_refuses() {
    let refused = [
        "create table a (id uuid primary key) inherits (b);",
        "create foreign table f (id int) server s;",
        "create table t of some_type;",
        "create materialized view m as select 1;",
        "create rule r as on insert to t do nothing;",
        "alter sequence s restart;",
        "create index i on t (x) tablespace fast;",
        "alter table t rename constraint a to b;",
        "drop index a, b;",
        "alter table t add column n int references other (id);",
        "alter table t add column n int unique;",
        "alter table t add column n bigserial;",
        "alter table t add column n bigint generated always as identity;",
        "alter table t add unique (x);",
        "alter table t add constraint t_x check (x > 0), add column y int;",
        "alter table t alter column x set statistics 100;",
        "alter table t cluster on t_pkey;",
        "alter table t set schema other;",
        "alter table t detach partition p concurrently;",
        "update t set id = gen_random_uuid();",
        "do $$ begin create table x (id int); end $$;",
        "create table p1 partition of p for values in (1);",
        "create schema s;",
        "create extension btree_gist;",
    ];
    for sql in refused {
        let stmts = statements(sql);
        assert_eq!(stmts.len(), 1, "{sql}");
        assert!(!violations(&stmts[0]).is_empty(), "not refused: {sql}");
    }
    let allowed = [
        "create table a (id uuid primary key, b uuid references b (id) on delete cascade);",
        "alter table t add column n int constraint t_n_fk references other (id);",
        "alter table t add column if not exists key text constraint k_key unique;",
        "alter table t add column note text constraint t_note_check check (length(note) < 10);",
        "alter table t add constraint t_x check (x > 0);",
        "alter table t add column a int, add column b text, alter column c set not null;",
        "alter table t alter column x type bigint, alter column y drop default;",
        "alter table t drop constraint t_x, drop column y;",
        "alter table t rename column a to b;",
        "alter table t rename to u;",
        "alter table t enable row level security;",
        "update t set x = now(), note = 'random(' where id = 1;",
        "do $$ begin if not exists (select 1 from pg_extension) then raise exception 'x'; end if; end $$;",
        "create function f() returns trigger language plpgsql as $f$ begin new.x := now(); return new; end $f$;",
        "create trigger t_u before update on t for each row execute function f();",
        "create table e (r tstzrange, exclude using gist (r with &&));",
        "comment on table t is 'a; b -- c';",
    ];
    for sql in allowed {
        let stmts = statements(sql);
        assert_eq!(stmts.len(), 1, "{sql}: {stmts:?}");
        assert_eq!(violations(&stmts[0]), Vec::<String>::new(), "{sql}");
    }
}

/// What a tenant schema must not hold (Citus 12.1/13.x): each query names what breaks its rule, `$1`
/// the schema.
const CATALOGUE_RULES: &[(&str, &str)] = &[
    // Foreign keys only within the schema (Citus: "foreign keys from distributed schemas can only
    // point to the same distributed schema or reference tables in regular schemas"; none of the
    // shared tables is a reference table today), and none into it from outside.
    (
        "foreign keys leaving the schema",
        "select c.conname::text from pg_constraint c
         join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
         join pg_class f on f.oid = c.confrelid
         where c.contype = 'f' and n.nspname = $1 and f.relnamespace <> r.relnamespace",
    ),
    (
        "foreign keys into the schema",
        "select c.conname::text from pg_constraint c
         join pg_class f on f.oid = c.confrelid join pg_namespace n on n.oid = f.relnamespace
         join pg_class r on r.oid = c.conrelid
         where c.contype = 'f' and n.nspname = $1 and r.relnamespace <> f.relnamespace",
    ),
    // Inheritance is refused; partitions must share their parent's schema, one level only.
    (
        "inheritance or partitions",
        "select c.relname::text from pg_inherits i
         join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
         join pg_namespace n on n.oid in (c.relnamespace, p.relnamespace)
         where n.nspname = $1",
    ),
    // Foreign tables are refused; materialized views stay behind on the coordinator.
    (
        "foreign tables and materialized views",
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind in ('f', 'm')",
    ),
    // citus_schema_move (logical replication, the default) needs a primary key or a replica
    // identity on every table.
    (
        "tables without a primary key or replica identity",
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind in ('r', 'p') and c.relreplident <> 'f'
           and not exists (select 1 from pg_index i where i.indrelid = c.oid
                           and (i.indisprimary or i.indisreplident))",
    ),
    // Sequences (serial, identity) are bigint: smaller ones break once inserts reach workers.
    (
        "sequences narrower than bigint",
        "select c.relname::text from pg_sequence s join pg_class c on c.oid = s.seqrelid
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and s.seqtypid <> 'int8'::regtype",
    ),
    // Types Citus cannot propagate (base, range, multirange), operators, and extensions.
    (
        "types Citus cannot propagate",
        "select t.typname::text from pg_type t join pg_namespace n on n.oid = t.typnamespace
         where n.nspname = $1 and t.typtype in ('b', 'r', 'm') and t.typelem = 0",
    ),
    (
        "operators",
        "select o.oprname::text from pg_operator o join pg_namespace n on n.oid = o.oprnamespace
         where n.nspname = $1",
    ),
    (
        "extensions",
        "select e.extname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace
         where n.nspname = $1",
    ),
    // Rules on tables are not propagated to shards.
    (
        "rules",
        "select r.rulename::text from pg_rewrite r join pg_class c on c.oid = r.ev_class
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind <> 'v'",
    ),
    // Triggers, CHECK constraints and defaults run on the worker that holds the tenant: their
    // functions must be the schema's own (or built in) and must not read the coordinator's
    // platform tables.
    (
        "triggers calling functions of another schema",
        "select tg.tgname::text from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
         join pg_namespace n on n.oid = c.relnamespace join pg_proc p on p.oid = tg.tgfoid
         where n.nspname = $1 and not tg.tgisinternal
           and p.pronamespace not in (c.relnamespace, 'pg_catalog'::regnamespace)",
    ),
    (
        "functions reading the platform schema",
        "select p.proname::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = $1 and p.prosrc ~* '\\mplatform\\s*\\.'",
    ),
];

/// What a provisioned tenant schema holds, after every migration, against what Citus can
/// distribute and move.
#[tokio::test]
async fn a_tenant_schema_is_one_citus_can_distribute_and_move() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let schema = app.tenant(&t).await.schema.to_string();
    let mut conn = app.state.db().raw_connection().await.expect("connection");
    let mut problems: Vec<String> = Vec::new();
    for (what, sql) in CATALOGUE_RULES {
        let found: Vec<String> = sqlx::query_scalar(*sql)
            .bind(&schema)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        if !found.is_empty() {
            problems.push(format!("{what}: {found:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The schema really holds what the migrations made (the queries above read the right one).
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind = 'r'",
    )
    .bind(&schema)
    .fetch_one(&mut *conn)
    .await
    .expect("tables");
    assert!(tables > 50, "{tables} tables in {schema}");
    let triggers: i64 = sqlx::query_scalar(
        "select count(*) from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and not tg.tgisinternal",
    )
    .bind(&schema)
    .fetch_one(&mut *conn)
    .await
    .expect("triggers");
    assert!(triggers > 0, "no triggers found in {schema}");
    // And the tenant works.
    crate::helpers::call(
        app.tenant_req(&t, reqwest::Method::GET, "/api/v1/tools/notes"),
        StatusCode::OK,
    )
    .await;
}
