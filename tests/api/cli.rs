//! The `flightline` binary: tenants create, list, suspend, resume, migrate, update, delete
//! (archive) and restore; demo.

use std::process::Command;

use reqwest::{Method, StatusCode};

use crate::helpers::{PASSWORD, TestApp, problem, unique_slug};

fn flightline(args: &[&str], db_url: &str) -> (bool, String) {
    flightline_in(
        args,
        db_url,
        &std::env::temp_dir()
            .join("flightline-cli-storage")
            .display()
            .to_string(),
    )
}

fn flightline_in(args: &[&str], db_url: &str, storage: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flightline"))
        .args(args)
        .env("FLIGHTLINE__STORAGE__LOCAL_DIR", storage)
        .env("FLIGHTLINE_ENV", "test")
        .env(
            "FLIGHTLINE_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("DATABASE_URL", db_url)
        .env("FLIGHTLINE_ADMIN_PASSWORD", PASSWORD)
        .output()
        .expect("run flightline");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn tenant_lifecycle_through_the_cli() {
    let app = TestApp::spawn().await;
    let url = app.state.settings.database_url().to_owned();
    let slug = unique_slug("cli");
    let email = format!("ops@{slug}.example");
    let (ok, out) = flightline(
        &[
            "tenants",
            "create",
            "--slug",
            &slug,
            "--name",
            "CLI Charter",
            "--kind",
            "charter_operator",
            "--admin-email",
            &email,
        ],
        &url,
    );
    assert!(ok, "{out}");
    let (ok, out) = flightline(&["tenants", "list"], &url);
    assert!(ok && out.contains(&slug), "{out}");

    let token = app.login(&slug, &email, PASSWORD).await;
    let (ok, out) = flightline(&["tenants", "suspend", &slug], &url);
    assert!(ok, "{out}");
    app.state.registry.invalidate_all();
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &slug)
            .bearer_auth(&token),
        StatusCode::FORBIDDEN,
        "tenant-suspended",
    )
    .await;
    let (ok, out) = flightline(&["tenants", "resume", &slug], &url);
    assert!(ok, "{out}");
    let (ok, out) = flightline(&["tenants", "migrate", "--tenant", &slug], &url);
    assert!(ok && out.contains("1 tenant(s)"), "{out}");

    let (ok, out) = flightline(
        &["tenants", "force-flag", &slug, "tools.notes", "off"],
        &url,
    );
    assert!(ok, "{out}");
    app.state.registry.invalidate_all();
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &slug)
            .bearer_auth(&token),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    let (ok, _) = flightline(&["tenants", "force-flag", &slug, "warp.drive", "on"], &url);
    assert!(!ok);

    let (ok, out) = flightline(
        &["tenants", "update", &slug, "--plan", "professional"],
        &url,
    );
    assert!(ok, "{out}");
    let (ok, out) = flightline(&["tenants", "update", &slug, "--plan", "platinum"], &url);
    assert!(!ok, "{out}");
    let (ok, out) = flightline(
        &["tenants", "force-flag", &slug, "tools.notes", "clear"],
        &url,
    );
    assert!(ok, "{out}");

    // Archive into object storage (a local directory here), then restore.
    let dir = tempdir();
    let (ok, out) = flightline_in(&["tenants", "delete", &slug], &url, &dir);
    assert!(ok, "{out}");
    let id = app.tenant_id_of(&slug).await;
    let archives: Vec<_> = std::fs::read_dir(format!("{dir}/tenants/{}/archives", id.hyphenated()))
        .expect("archive dir")
        .flatten()
        .collect();
    assert_eq!(archives.len(), 1);
    app.state.registry.invalidate_all();
    problem(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &slug)
            .bearer_auth(&token),
        StatusCode::NOT_FOUND,
        "tenant-not-found",
    )
    .await;
    let (ok, out) = flightline_in(&["tenants", "restore", &slug], &url, &dir);
    assert!(ok, "{out}");
    app.state.registry.invalidate_all();
    let token = app.login(&slug, &email, PASSWORD).await;
    crate::helpers::call(
        app.req(Method::GET, "/api/v1/tools/notes")
            .header("X-Tenant-ID", &slug)
            .bearer_auth(&token),
        StatusCode::OK,
    )
    .await;
    let (ok, _) = flightline(&["tenants", "suspend", "no-such-tenant"], &url);
    assert!(!ok);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> String {
    let dir = std::env::temp_dir().join(format!(
        "flightline-archive-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir.display().to_string()
}

#[tokio::test]
async fn demo_provisions_a_school_once_and_says_how_to_log_in() {
    let app = TestApp::spawn_own_db("cli_demo", figment::Figment::new()).await;
    let url = app.state.settings.database_url().to_owned();
    let (ok, out) = flightline(&["demo"], &url);
    assert!(ok, "demo failed: {out}");
    assert!(out.contains("X-Tenant-ID: demo"), "{out}");
    assert!(out.contains(flightline::cli::DEMO_EMAIL), "{out}");
    // A second run finds the tenant and changes nothing.
    let (ok, out) = flightline(&["demo"], &url);
    assert!(ok, "second demo failed: {out}");
    let token = app
        .login(
            "demo",
            flightline::cli::DEMO_EMAIL,
            flightline::cli::DEMO_PASSWORD,
        )
        .await;
    let get = |path: &str| {
        app.req(Method::GET, path)
            .header("X-Tenant-ID", "demo")
            .bearer_auth(&token)
    };
    let notes = crate::helpers::call(get("/api/v1/tools/notes"), StatusCode::OK).await;
    assert_eq!(notes["items"].as_array().map(Vec::len), Some(3));
    let fleet = crate::helpers::call(get("/api/v1/fleet/aircraft"), StatusCode::OK).await;
    let mut regs: Vec<&str> = fleet["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["registration"].as_str())
        .collect();
    regs.sort_unstable();
    assert_eq!(regs, ["N172SP", "N53PA"]);
    assert!(
        fleet["items"][0]["airworthiness"]["airworthy"].is_boolean(),
        "airworthiness shown on each aircraft: {fleet}"
    );
}
