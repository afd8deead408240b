//! `flightline demo`: the demo flight school, with sample notes and two aircraft.

use super::open;
use crate::config::Settings;
use crate::tenancy::{self, NewTenant, TenantKind};

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "admin@demo.flightline.localhost";
pub const DEMO_PASSWORD: &str = "flightline-demo";

pub(super) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let (db, registry) = open(settings).await?;
    if registry.by_slug(DEMO_SLUG).await?.is_none() {
        let passwords = crate::auth::password::Passwords::new(1, 16)?;
        let new = NewTenant {
            slug: DEMO_SLUG.into(),
            name: "Demo Flight School".into(),
            kind: TenantKind::FlightSchool,
            plan: "trial".into(),
            admin_email: DEMO_EMAIL.into(),
            admin_name: "Demo Admin".into(),
            admin_password_hash: Some(passwords.hash(DEMO_PASSWORD).await?),
            trial_ends_at: None,
        };
        let tenant = tenancy::provision(&db, &registry, &new, None).await?.tenant;
        let mut tx = tenant.begin(&db).await?;
        let admin: uuid::Uuid =
            sqlx::query_scalar("select id from users order by created_at limit 1")
                .fetch_one(&mut *tx)
                .await?;
        for (title, body, pinned) in [
            (
                "Welcome to Flightline",
                "This is the demo flight school. Notes live at /api/v1/tools/notes.",
                true,
            ),
            (
                "N172SP 100-hour inspection",
                "Due at 2,340.0 tach. Book the hangar for Thursday.",
                false,
            ),
            (
                "Ground school: weather theory",
                "Tuesday 18:00 in classroom B. Bring METAR/TAF samples.",
                false,
            ),
        ] {
            sqlx::query("insert into notes (id, title, body, pinned, author_id) values ($1, $2, $3, $4, $5)")
                .bind(uuid::Uuid::now_v7())
                .bind(title)
                .bind(body)
                .bind(pinned)
                .bind(admin)
                .execute(&mut *tx)
                .await?;
        }
        // Two aircraft, so the fleet, maintenance and scheduling routes have something to show.
        // Meters in tenths of an hour; N172SP's tach sits just short of the 100-hour note above.
        for (registration, make, model, designator, hobbs, tach, equipment) in [
            (
                "N172SP",
                "Cessna",
                "172S Skyhawk",
                "C172",
                28_915_i64,
                23_318_i64,
                &["ifr", "g1000"][..],
            ),
            (
                "N53PA",
                "Piper",
                "PA-28-181 Archer",
                "P28A",
                41_275,
                35_102,
                &["ifr"][..],
            ),
        ] {
            sqlx::query(
                "insert into aircraft (id, registration, make, model, type_designator, class, seats,
                                       home_base, hobbs_tenths, tach_tenths, equipment)
                 values ($1, $2, $3, $4, $5, 'single_engine_land', 4, 'KPAO', $6, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(registration)
            .bind(make)
            .bind(model)
            .bind(designator)
            .bind(hobbs)
            .bind(tach)
            .bind(equipment)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    let url = &settings.server.public_url;
    println!("Demo flight school ready (tenant `{DEMO_SLUG}`).");
    println!("  log in:  curl -s -X POST {url}/api/v1/auth/login -H 'X-Tenant-ID: {DEMO_SLUG}' \\");
    println!(
        "             -H 'Content-Type: application/json' -d '{{\"email\":\"{DEMO_EMAIL}\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
    println!(
        "  notes:   curl -s {url}/api/v1/tools/notes -H 'X-Tenant-ID: {DEMO_SLUG}' -H 'Authorization: Bearer <access_token>'"
    );
    println!(
        "  fleet:   curl -s {url}/api/v1/fleet/aircraft -H 'X-Tenant-ID: {DEMO_SLUG}' -H 'Authorization: Bearer <access_token>'"
    );
    println!("  docs:    {url}/docs");
    Ok(())
}
