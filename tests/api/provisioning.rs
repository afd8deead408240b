//! Provisioning: atomic, crash-safe, and fast from the warm pool.

use reqwest::{Method, StatusCode};
use sqlx::Row;

use flightline::db::latest_tenant_version;
use flightline::tenancy::{self, FailPoint, NewTenant, ProvisionError, TenantKind, WarmPool};

use crate::helpers::{PASSWORD, TestApp, call, problem, unique_slug};

fn new_tenant(kind: TenantKind) -> NewTenant {
    let slug = unique_slug("p");
    NewTenant {
        admin_email: format!("admin@{slug}.example"),
        slug,
        name: "Provisioned".into(),
        kind,
        plan: "trial".into(),
        admin_name: "Admin".into(),
        admin_password_hash: None,
        trial_ends_at: None,
    }
}

async fn schema_exists(app: &TestApp, name: &str) -> bool {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query_scalar("select exists(select 1 from pg_namespace where nspname = $1)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .expect("query")
}

async fn tenant_row(app: &TestApp, slug: &str) -> Option<(String, String, i32)> {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query("select status, schema_name, schema_version from platform.tenants where slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await
        .expect("query")
        .map(|r| {
            (
                r.get("status"),
                r.get("schema_name"),
                r.get("schema_version"),
            )
        })
}

async fn tenant_id(app: &TestApp, slug: &str) -> uuid::Uuid {
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query_scalar("select id from platform.tenants where slug = $1")
        .bind(slug)
        .fetch_one(&mut *conn)
        .await
        .expect("tenant id")
}

#[tokio::test]
async fn a_failure_midway_leaves_nothing_serving_and_a_retry_finishes() {
    let app = TestApp::spawn().await;
    let passwords = &app.state.passwords;
    for fail in [FailPoint::AfterSchema, FailPoint::AfterReserve] {
        let mut new = new_tenant(TenantKind::FlightSchool);
        new.admin_password_hash = Some(passwords.hash(PASSWORD).await.expect("hash"));
        let err = tenancy::provision(app.state.db(), &app.state.registry, &new, Some(fail))
            .await
            .expect_err("injected failure");
        assert!(matches!(err, ProvisionError::Injected(f) if f == fail));

        // Only the reservation exists: no schema, and requests answer 503, never data.
        let (status, schema, version) = tenant_row(&app, &new.slug).await.expect("reserved row");
        assert_eq!((status.as_str(), version), ("provisioning", 0));
        assert!(
            !schema_exists(&app, &schema).await,
            "{fail:?} left a schema behind"
        );
        problem(
            app.req(Method::POST, "/api/v1/auth/login")
                .header("X-Tenant-ID", &new.slug)
                .json(&serde_json::json!({"email": new.admin_email, "password": PASSWORD})),
            StatusCode::SERVICE_UNAVAILABLE,
            "tenant-provisioning",
        )
        .await;
        // The slug stays taken while the reservation exists.
        let avail = call(
            app.req(Method::GET, &format!("/api/v1/public/slugs/{}", new.slug)),
            StatusCode::OK,
        )
        .await;
        assert_eq!(avail["available"], false);

        // The sweeper completes it; the admin can then log in.
        let id = tenant_id(&app, &new.slug).await;
        tenancy::finish_stuck(app.state.db(), app.state.registry.catalog(), 0, Some(id))
            .await
            .expect("sweep");
        let (status, schema, version) = tenant_row(&app, &new.slug).await.expect("row");
        assert_eq!(
            (status.as_str(), version),
            ("active", latest_tenant_version())
        );
        assert!(schema_exists(&app, &schema).await);
        app.state.registry.invalidate_all();
        app.login(&new.slug, &new.admin_email, PASSWORD).await;
    }
}

#[tokio::test]
async fn an_uncompletable_reservation_is_removed() {
    let app = TestApp::spawn().await;
    let new = new_tenant(TenantKind::Fbo);
    tenancy::provision(
        app.state.db(),
        &app.state.registry,
        &new,
        Some(FailPoint::AfterReserve),
    )
    .await
    .expect_err("injected");
    // Corrupt what the retry needs: it cannot complete, so the reservation goes.
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    sqlx::query("update platform.tenants set provisioning = '{}' where slug = $1")
        .bind(&new.slug)
        .execute(&mut *conn)
        .await
        .expect("update");
    drop(conn);
    let id = tenant_id(&app, &new.slug).await;
    tenancy::finish_stuck(app.state.db(), app.state.registry.catalog(), 0, Some(id))
        .await
        .expect("sweep");
    assert!(tenant_row(&app, &new.slug).await.is_none());
}

#[tokio::test]
async fn roles_are_seeded_for_each_kind() {
    let app = TestApp::spawn().await;
    for (kind, expected) in [
        (
            "flight_school",
            vec![
                "admin",
                "instructor",
                "mechanic",
                "organization_admin",
                "staff",
                "student",
                "trainer",
            ],
        ),
        (
            "charter_operator",
            vec![
                "admin",
                "dispatcher",
                "finance",
                "medical_crew",
                "pilot",
                "sales",
            ],
        ),
        ("fbo", vec!["admin", "front_desk", "fueler", "line_manager"]),
    ] {
        let t = app.signup(kind).await;
        let tenant = app.tenant(&t).await;
        let mut tx = tenant.begin(app.state.db()).await.expect("tx");
        let names: Vec<String> =
            sqlx::query_scalar("select name from roles where is_system order by name")
                .fetch_all(&mut *tx)
                .await
                .expect("roles");
        assert_eq!(names, expected, "{kind}");
        let hash: String = sqlx::query_scalar("select password_hash from users")
            .fetch_one(&mut *tx)
            .await
            .expect("admin");
        assert!(hash.starts_with("$argon2id$"));
        let me = call(
            app.tenant_req(&t, Method::GET, "/api/v1/auth/me"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["roles"][0]["name"], "admin");
    }
}

#[tokio::test]
async fn provisioning_claims_a_warm_schema_by_rename() {
    let app = TestApp::spawn().await;
    let pool = WarmPool::new(app.state.db().clone(), 1);
    // Other tests running at the same time may claim the warm schema first; retry until ours.
    let mut claimed = None;
    for _ in 0..20 {
        pool.fill().await.expect("fill");
        let mut new = new_tenant(TenantKind::FlightSchool);
        new.admin_password_hash = Some(app.state.passwords.hash(PASSWORD).await.expect("hash"));
        let p = tenancy::provision(app.state.db(), &app.state.registry, &new, None)
            .await
            .expect("provision");
        if p.from_warm_pool {
            claimed = Some((p, new));
            break;
        }
    }
    let (p, new) = claimed.expect("a warm schema was claimed");
    assert_eq!(p.tenant.schema_version, latest_tenant_version());
    let token = app.login(&new.slug, &new.admin_email, PASSWORD).await;
    let t = crate::helpers::TestTenant {
        id: p.tenant.id.to_string(),
        slug: new.slug.clone(),
        admin_email: new.admin_email,
        token,
    };
    app.create_note(&t, "in a renamed schema").await;
    // No warm schema is left without its registry row, and the claimed one is gone from it.
    let mut conn = app.state.db().raw_connection().await.expect("conn");
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from pg_namespace n where n.nspname like 'w\\_%'
         and not exists (select 1 from platform.warm_schemas w where w.schema_name = n.nspname)",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0);
    let roles: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from {}.roles",
        p.tenant.schema.quoted()
    )))
    .fetch_one(&mut *conn)
    .await
    .expect("roles");
    // admin and the flight school's six.
    assert_eq!(roles, 7);
}
