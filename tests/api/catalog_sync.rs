//! The `trainer` role, and the catalogue sync that brings roles and permissions declared after a
//! tenant was provisioned into it (docs/identity.md, "Seeded roles and the catalogue sync").

use flightline::db::{MigrationOutcome, MigrationStatus, TenantFilter};
use flightline::domains::CATALOG;
use flightline::tenancy::catalog_sync;
use flightline::tenancy::migrate_tenants;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{TestApp, TestTenant, call, problem};

/// A trainer authors syllabi and ground-school courses and reads what grading needs; it
/// writes nothing of fleet, users or the schedule of others.
#[tokio::test]
async fn a_trainer_authors_training_and_theory_but_is_no_instructor() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let (_, trainer) = app.user_with_roles(&t, &["trainer"]).await;
    call(
        app.tenant_req(&trainer, Method::POST, "/api/v1/training/syllabi")
            .json(
                &json!({"code": "PPL-T", "title": "Private pilot", "grading_scale": "five_point"}),
            ),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(&trainer, Method::POST, "/api/v1/theory/courses")
            .json(
                &json!({"code": "AIRLAW", "title": "Air law", "category": "ppl",
                          "difficulty": "beginner", "duration_weeks": 4}),
            ),
        StatusCode::CREATED,
    )
    .await;
    for path in [
        "/api/v1/users",
        "/api/v1/training/enrollments",
        "/api/v1/scheduling/bookings",
        "/api/v1/flights",
    ] {
        call(app.tenant_req(&trainer, Method::GET, path), StatusCode::OK).await;
    }
    problem(
        app.tenant_req(&trainer, Method::POST, "/api/v1/fleet/aircraft")
            .json(&json!({"registration": "HB-TRN", "make": "Cessna", "model": "172S"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&trainer, Method::POST, "/api/v1/users")
            .json(&json!({"email": format!("x@{}.example", t.slug), "name": "X"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

/// SQL in the tenant's schema, as an older release or an administrator left it.
async fn in_tenant(app: &TestApp, t: &TestTenant, sql: &str) {
    let tenant = app.tenant(t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *tx)
        .await
        .expect("tenant sql");
    tx.commit().await.expect("commit");
}

/// The tenant's system roles and their permissions, sorted.
async fn roles(app: &TestApp, t: &TestTenant) -> Vec<(String, Vec<String>)> {
    let tenant = app.tenant(t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let mut rows: Vec<(String, Vec<String>)> =
        sqlx::query_as("select name, permissions from roles where is_system order by name")
            .fetch_all(&mut *tx)
            .await
            .expect("roles");
    for (_, p) in &mut rows {
        p.sort();
    }
    rows
}

fn perms<'a>(roles: &'a [(String, Vec<String>)], name: &str) -> &'a [String] {
    roles
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.as_slice())
        .unwrap_or_else(|| panic!("no role {name}"))
}

/// Forgets the digest of the catalogue the tenant was synced with, as if an older binary had
/// migrated it, so the next run looks at it.
async fn forget_digest(app: &TestApp, t: &TestTenant) {
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    sqlx::query("update platform.tenants set catalog_digest = null where slug = $1")
        .bind(&t.slug)
        .execute(&mut conn)
        .await
        .expect("digest");
}

async fn migrate(app: &TestApp, t: &TestTenant) -> MigrationOutcome {
    let filter = TenantFilter::Ids(vec![t.id.parse().expect("uuid")]);
    let mut o = migrate_tenants(
        app.state.db(),
        &CATALOG,
        &flightline::db::tenant_migrations(),
        &filter,
        1,
    )
    .await
    .expect("run");
    assert_eq!(o.len(), 1);
    let o = o.remove(0);
    assert_eq!(o.error, None);
    o
}

/// `role.synced` audit rows, oldest first.
async fn synced(app: &TestApp, t: &TestTenant) -> Vec<Value> {
    let page = call(
        app.tenant_req(
            t,
            Method::GET,
            "/api/v1/settings/audit-logs?action=role.synced&limit=200",
        ),
        StatusCode::OK,
    )
    .await;
    let mut items = page["items"].as_array().cloned().unwrap_or_default();
    items.reverse();
    items
}

/// An organisation provisioned before `trainer` and `theory.manage` existed gets both from
/// the sync; a permission its administrator removed stays removed; a second run changes
/// nothing; the same binary's catalogue is not looked at again.
#[tokio::test]
async fn the_sync_adds_what_is_new_and_keeps_what_an_admin_removed() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let fresh = roles(&app, &t).await;
    assert!(perms(&fresh, "trainer").contains(&"theory.manage".to_owned()));
    assert!(
        synced(&app, &t).await.is_empty(),
        "provisioning is not a sync"
    );
    // Nothing to do for a tenant provisioned by this binary: skipped without a look.
    let o = migrate(&app, &t).await;
    assert_eq!((o.status, o.catalog_changes), (MigrationStatus::Current, 0));

    // Make it an organisation from before `trainer` and `theory.manage`: neither exists in it
    // nor was ever offered to it.
    in_tenant(
        &app,
        &t,
        "delete from roles where name = 'trainer';
         update roles set permissions = array_remove(permissions, 'theory.manage');
         delete from catalog_offers
          where (item, name) in (('role', 'trainer'), ('permission', 'theory.manage'));",
    )
    .await;
    // Its administrator takes `training.manage` and `scheduling.manage` from instructors on
    // purpose (through the API, audited as `role.updated`).
    let instructor = app.role_id(&t, "instructor").await;
    let mut keep: Vec<String> = perms(&fresh, "instructor")
        .iter()
        .filter(|p| !["training.manage", "scheduling.manage"].contains(&p.as_str()))
        .cloned()
        .collect();
    call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/users/roles/{instructor}"),
        )
        .json(&json!({"permissions": keep})),
        StatusCode::OK,
    )
    .await;
    keep.sort();
    forget_digest(&app, &t).await;

    let o = migrate(&app, &t).await;
    // The schema was current: only the catalogue changed (trainer created; admin and
    // organization_admin given theory.manage).
    assert_eq!((o.status, o.catalog_changes), (MigrationStatus::Current, 3));
    let after = roles(&app, &t).await;
    assert_eq!(
        after,
        fresh
            .iter()
            .map(|(n, p)| {
                if n == "instructor" {
                    (n.clone(), keep.clone())
                } else {
                    (n.clone(), p.clone())
                }
            })
            .collect::<Vec<_>>()
    );
    assert!(!perms(&after, "instructor").contains(&"training.manage".to_owned()));
    assert!(perms(&after, "admin").contains(&"theory.manage".to_owned()));
    assert!(perms(&after, "organization_admin").contains(&"theory.manage".to_owned()));
    let rows = synced(&app, &t).await;
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let trainer = rows
        .iter()
        .find(|r| r["after"]["name"] == "trainer")
        .expect("trainer row");
    assert_eq!(trainer["before"], Value::Null);
    assert_eq!(trainer["actor_type"], "system");
    let admin = rows
        .iter()
        .find(|r| r["after"]["name"] == "admin")
        .expect("admin row");
    let had = |v: &Value| {
        v["permissions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p == "theory.manage"))
    };
    assert!(!had(&admin["before"]) && had(&admin["after"]));

    // Again: nothing changes, nothing is audited.
    forget_digest(&app, &t).await;
    let o = migrate(&app, &t).await;
    assert_eq!((o.status, o.catalog_changes), (MigrationStatus::Current, 0));
    assert_eq!(roles(&app, &t).await, after);
    assert_eq!(synced(&app, &t).await.len(), 3);

    // A user given the new role has its permissions at once.
    let (_, trainer) = app.user_with_roles(&t, &["trainer"]).await;
    call(
        app.tenant_req(&trainer, Method::POST, "/api/v1/theory/courses")
            .json(
                &json!({"code": "MET", "title": "Meteorology", "category": "ppl",
                          "difficulty": "beginner", "duration_weeks": 3}),
            ),
        StatusCode::CREATED,
    )
    .await;
}

/// A tenant migrated by a release without `catalog_offers` has no record of what it was
/// offered: the first sync takes its admin role's permissions and its system roles as the
/// baseline, so permissions removed from other roles before then stay removed too.
#[tokio::test]
async fn a_tenant_from_before_the_offers_table_gets_a_baseline() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let fresh = roles(&app, &t).await;
    in_tenant(
        &app,
        &t,
        "delete from catalog_offers;
         delete from roles where name = 'trainer';
         update roles set permissions = array_remove(permissions, 'theory.manage');
         update roles set permissions = array_remove(permissions, 'flights.manage')
          where name = 'instructor';",
    )
    .await;
    forget_digest(&app, &t).await;
    let o = migrate(&app, &t).await;
    assert_eq!(
        o.catalog_changes, 3,
        "trainer, admin and organization_admin"
    );
    let after = roles(&app, &t).await;
    assert_eq!(perms(&after, "trainer"), perms(&fresh, "trainer"));
    assert_eq!(perms(&after, "admin"), perms(&fresh, "admin"));
    assert!(!perms(&after, "instructor").contains(&"flights.manage".to_owned()));
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let offered: i64 =
        sqlx::query_scalar("select count(*) from catalog_offers where item = 'permission'")
            .fetch_one(&mut *tx)
            .await
            .expect("offers");
    assert_eq!(offered as usize, CATALOG.permissions().count());
    drop(tx);
    forget_digest(&app, &t).await;
    assert_eq!(migrate(&app, &t).await.catalog_changes, 0);
}

/// A custom role that took a system role's name first is left alone (and the system role is
/// offered again on a later run); the digest is per kind.
#[tokio::test]
async fn a_custom_role_with_the_name_is_not_taken_over() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    in_tenant(
        &app,
        &t,
        "delete from roles where name = 'trainer';
         delete from catalog_offers where item = 'role' and name = 'trainer';
         insert into roles (id, name, permissions) values (gen_random_uuid(), 'Trainer', '{tools.notes.read}');",
    )
    .await;
    forget_digest(&app, &t).await;
    assert_eq!(migrate(&app, &t).await.catalog_changes, 0);
    let tenant = app.tenant(&t).await;
    let mut tx = tenant.begin(app.state.db()).await.expect("tx");
    let custom: (bool, Vec<String>) =
        sqlx::query_as("select is_system, permissions from roles where lower(name) = 'trainer'")
            .fetch_one(&mut *tx)
            .await
            .expect("role");
    assert_eq!(custom, (false, vec!["tools.notes.read".to_owned()]));
    drop(tx);
    // No digest kept: the next run looks again, and creates the role once the name is free.
    let mut conn = sqlx::PgConnection::connect(app.state.settings.database_url())
        .await
        .expect("connect");
    let digest: Option<String> =
        sqlx::query_scalar("select catalog_digest from platform.tenants where slug = $1")
            .bind(&t.slug)
            .fetch_one(&mut conn)
            .await
            .expect("digest");
    assert_eq!(digest, None);
    in_tenant(
        &app,
        &t,
        "update roles set name = 'Trainers (old)' where lower(name) = 'trainer'",
    )
    .await;
    assert_eq!(migrate(&app, &t).await.catalog_changes, 1);
    assert!(roles(&app, &t).await.iter().any(|(n, _)| n == "trainer"));
    assert_ne!(
        catalog_sync::digest(&CATALOG, flightline::tenancy::TenantKind::FlightSchool),
        catalog_sync::digest(&CATALOG, flightline::tenancy::TenantKind::Fbo)
    );
}
