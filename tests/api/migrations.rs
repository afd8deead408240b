//! The tenant migration runner: per-tenant transactions, failures isolated.

use flightline::db::{Migration, MigrationStatus, TenantFilter, tenant_migrations};
use flightline::domains::CATALOG;
use flightline::tenancy::migrate_tenants;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::helpers::{TestApp, call};

#[tokio::test]
async fn one_failing_tenant_does_not_stop_the_others() {
    let app = TestApp::spawn().await;
    let mut tenants = Vec::new();
    for _ in 0..3 {
        tenants.push(app.signup("flight_school").await);
    }
    let bad = app.tenant(&tenants[1]).await;
    let mut migrations = tenant_migrations();
    let next = migrations.last().map(|m| m.version).unwrap_or(0) + 1;
    migrations.push(Migration::new(
        next,
        "add_color",
        format!(
            "alter table notes add column color text;
             do $$ begin
                 if current_schema() = '{}' then raise exception 'boom in this tenant'; end if;
             end $$;",
            bad.schema
        ),
    ));
    let ids: Vec<Uuid> = tenants
        .iter()
        .map(|t| t.id.parse().expect("uuid"))
        .collect();
    let filter = TenantFilter::Ids(ids.clone());
    let outcomes = migrate_tenants(app.state.db(), &CATALOG, &migrations, &filter, 2)
        .await
        .expect("run");
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        if o.tenant_id == bad.id {
            assert_eq!(o.status, MigrationStatus::Failed);
            assert_eq!(o.to_version, next - 1);
            assert!(o.error.as_deref().unwrap_or_default().contains("boom"));
        } else {
            assert_eq!(
                (o.status, o.from_version, o.to_version),
                (MigrationStatus::Migrated, next - 1, next)
            );
        }
    }
    // The failed tenant is exactly as it was and still serves; the others have the column.
    for t in &tenants {
        let tenant = app.tenant(t).await;
        let mut tx = tenant.begin(app.state.db()).await.expect("tx");
        let has: bool = sqlx::query_scalar(
            "select exists(select 1 from information_schema.columns
             where table_schema = current_schema() and table_name = 'notes' and column_name = 'color')",
        )
        .fetch_one(&mut *tx)
        .await
        .expect("query");
        assert_eq!(has, tenant.id != bad.id);
        call(
            app.tenant_req(t, Method::GET, "/api/v1/tools/notes"),
            StatusCode::OK,
        )
        .await;
    }
    // A second run skips the current ones and reports the failure again.
    let again = migrate_tenants(app.state.db(), &CATALOG, &migrations, &filter, 2)
        .await
        .expect("run");
    for o in again {
        let want = if o.tenant_id == bad.id {
            MigrationStatus::Failed
        } else {
            MigrationStatus::Current
        };
        assert_eq!(o.status, want);
    }
}

fn stamped(version: i32, key: &str, sql: &str) -> Migration {
    Migration {
        version,
        key: key.to_owned(),
        name: key
            .split_once('_')
            .map(|(_, n)| n)
            .unwrap_or(key)
            .to_owned(),
        sql: sql.to_owned(),
    }
}

/// Two branches each add a migration; the one with the earlier name lands second. Tenants that
/// already applied the other still get it: migrations are keyed by name, not by a number.
#[tokio::test]
async fn a_migration_that_lands_out_of_order_is_still_applied() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let filter = TenantFilter::Ids(vec![t.id.parse().expect("uuid")]);
    let base = tenant_migrations();
    let n = base.len() as i32;
    let mut first = base.clone();
    first.push(stamped(
        n + 1,
        "209901021200_b_later",
        "create table later_b (x int)",
    ));
    let o = migrate_tenants(app.state.db(), &CATALOG, &first, &filter, 1)
        .await
        .expect("run");
    assert_eq!(
        (o[0].status, o[0].to_version),
        (MigrationStatus::Migrated, n + 1)
    );

    let mut second = base.clone();
    second.push(stamped(
        n + 1,
        "209901011200_a_earlier",
        "create table earlier_a (x int)",
    ));
    second.push(stamped(
        n + 2,
        "209901021200_b_later",
        "create table later_b (x int)",
    ));
    let o = migrate_tenants(app.state.db(), &CATALOG, &second, &filter, 1)
        .await
        .expect("run");
    assert_eq!(
        (o[0].status, o[0].from_version, o[0].to_version),
        (MigrationStatus::Migrated, n + 1, n + 2)
    );
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let keys: Vec<String> =
        sqlx::query_scalar("select key from schema_migrations where version > $1 order by version")
            .bind(n)
            .fetch_all(&mut *tx)
            .await
            .expect("keys");
    assert_eq!(keys, ["209901021200_b_later", "209901011200_a_earlier"]);
    let both: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables
         where table_schema = current_schema() and table_name in ('earlier_a', 'later_b')",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("tables");
    assert_eq!(both, 2);
}

/// A landed migration is never edited: a schema that recorded it with another checksum refuses
/// the run (and applies nothing of it), as the platform runner already did.
#[tokio::test]
async fn a_landed_tenant_migration_that_changed_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let filter = TenantFilter::Ids(vec![t.id.parse().expect("uuid")]);
    let mut edited = tenant_migrations();
    let n = edited.len() as i32;
    edited[3].sql.push_str("\n-- an edit after landing\n");
    edited.push(stamped(
        n + 1,
        "209901011200_new_table",
        "create table new_table (x int)",
    ));
    let o = migrate_tenants(app.state.db(), &CATALOG, &edited, &filter, 1)
        .await
        .expect("run");
    assert_eq!(o[0].status, MigrationStatus::Failed);
    let error = o[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&edited[3].key) && error.contains("changed"),
        "{error}"
    );
    assert_eq!(o[0].to_version, n);
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let made: bool = sqlx::query_scalar(
        "select exists(select 1 from information_schema.tables
         where table_schema = current_schema() and table_name = 'new_table')",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("query");
    assert!(!made);
}
