//! The tenant migration runner: per-tenant transactions, failures isolated.

use flightline::db::{
    Migration, MigrationStatus, TenantFilter, migrate_tenants, tenant_migrations,
};
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
    let outcomes = migrate_tenants(&app.state.db, &migrations, &filter, 2)
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
        let mut tx = tenant.begin(&app.state.db).await.expect("tx");
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
    let again = migrate_tenants(&app.state.db, &migrations, &filter, 2)
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
