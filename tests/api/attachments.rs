//! `/api/v1/tools/attachments`: uploads through the storage interface (local disk and an
//! S3-compatible server), size limits, type sniffing, file names, permissions, isolation.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, override_kv, problem};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

fn file_part(bytes: &[u8], name: &str, content_type: Option<&str>) -> Part {
    let part = Part::bytes(bytes.to_vec()).file_name(name.to_owned());
    match content_type {
        Some(ct) => part.mime_str(ct).expect("mime"),
        None => part,
    }
}

fn upload(app: &TestApp, t: &TestTenant, form: Form) -> RequestBuilder {
    app.tenant_req(t, Method::POST, "/api/v1/tools/attachments")
        .multipart(form)
}

async fn upload_pdf(app: &TestApp, t: &TestTenant, name: &str) -> Value {
    call(
        upload(
            app,
            t,
            Form::new().part("file", file_part(PDF, name, Some("application/pdf"))),
        ),
        StatusCode::CREATED,
    )
    .await
}

async fn download(app: &TestApp, t: &TestTenant, id: &str) -> reqwest::Response {
    app.tenant_req(
        t,
        Method::GET,
        &format!("/api/v1/tools/attachments/{id}/content"),
    )
    .send()
    .await
    .expect("download")
}

#[tokio::test]
async fn upload_download_update_delete_with_audit() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let note = app.create_note(&t, "Weight and balance").await;
    let note_id = note["id"].as_str().expect("id");

    let created = call(
        upload(
            &app,
            &t,
            Form::new()
                .part(
                    "file",
                    file_part(PDF, "W&B N172SP.pdf", Some("application/pdf")),
                )
                .text("description", "Signed by the chief instructor")
                .text("resource_type", "note")
                .text("resource_id", note_id.to_owned()),
        ),
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["file_name"], "W&B N172SP.pdf");
    assert_eq!(created["content_type"], "application/pdf");
    assert_eq!(created["size_bytes"], PDF.len());
    assert_eq!(created["resource_type"], "note");
    assert_eq!(created["resource_id"], note_id);
    assert_eq!(
        created["sha256"].as_str().map(str::len),
        Some(64),
        "{created}"
    );

    // The file comes back byte for byte with safe headers.
    let resp = download(&app, &t, &id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"W&B N172SP.pdf\""),
        "{h:?}"
    );
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);

    // The files of one record.
    let other = upload_pdf(&app, &t, "other.pdf").await;
    let listed = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/tools/attachments?resource_type=note&resource_id={note_id}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let all = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/attachments?limit=1"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"][0]["id"], other["id"], "newest first");
    let next = all["next_cursor"].as_str().expect("a second page");
    let second = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/tools/attachments?limit=1&cursor={next}"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["items"][0]["id"], id.as_str());
    assert!(second["next_cursor"].is_null());

    // Unlink and describe; a link needs both fields and an existing record.
    let patched = call(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/tools/attachments/{id}"),
        )
        .json(&json!({"description": null, "resource_type": null, "resource_id": null})),
        StatusCode::OK,
    )
    .await;
    assert!(patched["resource_type"].is_null() && patched["description"].is_null());
    problem(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/tools/attachments/{id}"),
        )
        .json(&json!({"resource_type": "note", "resource_id": uuid::Uuid::new_v4()})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::PATCH,
            &format!("/api/v1/tools/attachments/{id}"),
        )
        .json(&json!({"resource_type": "note"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    call(
        app.tenant_req(
            &t,
            Method::DELETE,
            &format!("/api/v1/tools/attachments/{id}"),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("/api/v1/tools/attachments/{id}/content"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // The stored file is gone too.
    let tenant = app.tenant(&t).await;
    let key = flightline::storage::ObjectKey::new(
        &tenant,
        flightline::storage::Area::Attachments,
        id.parse().expect("uuid"),
    );
    assert!(app.state.storage.open(&key).await.expect("open").is_none());

    assert_eq!(
        audit_actions(&app, &t, "attachment").await,
        [
            "attachment.deleted",
            "attachment.updated",
            "attachment.uploaded",
            "attachment.uploaded"
        ]
    );
}

#[tokio::test]
async fn size_limits_come_from_the_tenant_setting_under_the_server_ceiling() {
    let dir = std::env::temp_dir().join(format!("flightline-limits-{}", uuid::Uuid::new_v4()));
    let app = TestApp::spawn_with(
        override_kv("storage.max_upload_bytes", 4096).merge(override_kv("storage.local_dir", &dir)),
    )
    .await;
    let t = app.signup("flight_school").await;
    let big = [b"%PDF-1.7\n".as_slice(), &[b'x'; 5000]].concat();
    problem(
        upload(
            &app,
            &t,
            Form::new().part("file", file_part(&big, "big.pdf", Some("application/pdf"))),
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;

    // The tenant lowers its limit; a setting above the ceiling does not raise it.
    call(
        app.tenant_req(&t, Method::POST, "/api/v1/settings")
            .json(&json!({"key": "attachments.max_size_bytes", "value": 100})),
        StatusCode::CREATED,
    )
    .await;
    let small = [b"%PDF-1.7\n".as_slice(), &[b'x'; 200]].concat();
    problem(
        upload(
            &app,
            &t,
            Form::new().part(
                "file",
                file_part(&small, "small.pdf", Some("application/pdf")),
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/attachments.max_size_bytes",
        )
        .json(&json!({"value": 0})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/settings/attachments.max_size_bytes",
        )
        .json(&json!({"value": 1_000_000})),
        StatusCode::OK,
    )
    .await;
    problem(
        upload(
            &app,
            &t,
            Form::new().part("file", file_part(&big, "big.pdf", Some("application/pdf"))),
        ),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    call(
        upload(
            &app,
            &t,
            Form::new().part(
                "file",
                file_part(&small, "small.pdf", Some("application/pdf")),
            ),
        ),
        StatusCode::CREATED,
    )
    .await;

    // Nothing was kept of the refused uploads.
    let list = call(
        app.tenant_req(&t, Method::GET, "/api/v1/tools/attachments"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let spool = app.state.storage.spool_dir().await.expect("spool");
    assert_eq!(
        std::fs::read_dir(spool).expect("spool dir").count(),
        0,
        "refused uploads leave no spool file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn types_are_judged_from_the_bytes() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    // An executable, HTML and SVG are refused whatever they claim to be.
    for (bytes, name, ct) in [
        (
            b"MZ\x90\0\x03\0\0\0\x04\0".as_slice(),
            "invoice.pdf",
            "application/pdf",
        ),
        (
            b"<!DOCTYPE html><script>alert(1)</script>".as_slice(),
            "page.txt",
            "text/plain",
        ),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".as_slice(),
            "logo.svg",
            "image/svg+xml",
        ),
    ] {
        problem(
            upload(
                &app,
                &t,
                Form::new().part("file", file_part(bytes, name, Some(ct))),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        )
        .await;
    }
    // A PDF declared as PNG: the declaration contradicts the content.
    let bad = problem(
        upload(
            &app,
            &t,
            Form::new().part("file", file_part(PDF, "photo.png", Some("image/png"))),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "file");
    // No declared type (or octet-stream): the bytes decide; CSV refines text.
    let png = call(
        upload(
            &app,
            &t,
            Form::new().part("file", file_part(PNG, "ramp.png", None)),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(png["content_type"], "image/png");
    let resp = download(&app, &t, png["id"].as_str().expect("id")).await;
    assert_eq!(resp.headers()["content-type"], "image/png");
    let csv = call(
        upload(
            &app,
            &t,
            Form::new().part(
                "file",
                file_part(b"tail,litres\nHB-ABC,420\n", "uplift.csv", Some("text/csv")),
            ),
        ),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(csv["content_type"], "text/csv");

    // Malformed uploads.
    problem(
        upload(&app, &t, Form::new().text("description", "no file")),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, "/api/v1/tools/attachments")
            .json(&json!({"file": "not multipart"})),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    problem(
        upload(
            &app,
            &t,
            Form::new()
                .part("file", file_part(PDF, "a.pdf", Some("application/pdf")))
                .text("resource_type", "aircraft")
                .text("resource_id", uuid::Uuid::new_v4().to_string()),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        upload(
            &app,
            &t,
            Form::new()
                .part("file", file_part(PDF, "a.pdf", Some("application/pdf")))
                .text("resource_type", "note"),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn file_names_never_reach_the_storage_path() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    for (raw, kept) in [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        ("..", "file"),
        ("/absolute/report.pdf", "report.pdf"),
    ] {
        let a = upload_pdf(&app, &t, raw).await;
        assert_eq!(a["file_name"], kept, "{raw}");
        // The object sits under this tenant's prefix, named by its id.
        let tenant = app.tenant(&t).await;
        let path = app.state.settings.storage.local_dir.join(format!(
            "tenants/{}/attachments/{}",
            tenant.id.hyphenated(),
            a["id"].as_str().expect("id")
        ));
        assert_eq!(std::fs::read(&path).expect("stored file"), PDF, "{raw}");
    }
}

#[tokio::test]
async fn permissions_flags_and_other_tenants() {
    let app = TestApp::spawn().await;
    let a = app.signup("flight_school").await;
    let b = app.signup("flight_school").await;
    let file = upload_pdf(&app, &a, "a.pdf").await;
    let id = file["id"].as_str().expect("id");

    // A student may neither list, read nor upload attachments.
    let (_, student) = app.user_with_roles(&a, &["student"]).await;
    for (method, path) in [
        (Method::GET, "/api/v1/tools/attachments".to_owned()),
        (Method::GET, format!("/api/v1/tools/attachments/{id}")),
        (
            Method::GET,
            format!("/api/v1/tools/attachments/{id}/content"),
        ),
        (Method::DELETE, format!("/api/v1/tools/attachments/{id}")),
    ] {
        problem(
            app.tenant_req(&student, method, &path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    problem(
        upload(
            &app,
            &student,
            Form::new().part("file", file_part(PDF, "x.pdf", Some("application/pdf"))),
        ),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Tenant B sees none of A's files, by any route.
    for (method, path) in [
        (Method::GET, format!("/api/v1/tools/attachments/{id}")),
        (
            Method::GET,
            format!("/api/v1/tools/attachments/{id}/content"),
        ),
        (Method::DELETE, format!("/api/v1/tools/attachments/{id}")),
    ] {
        problem(
            app.tenant_req(&b, method, &path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    problem(
        app.tenant_req(
            &b,
            Method::PATCH,
            &format!("/api/v1/tools/attachments/{id}"),
        )
        .json(&json!({"description": "mine now"})),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let listed = call(
        app.tenant_req(&b, Method::GET, "/api/v1/tools/attachments"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"], json!([]));
    // A's token on B's tenant is refused outright.
    problem(
        app.req(Method::GET, &format!("/api/v1/tools/attachments/{id}"))
            .header("X-Tenant-ID", &b.slug)
            .bearer_auth(&a.token),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // The module switched off: 404 feature-disabled, then back.
    call(
        app.tenant_req(
            &a,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.attachments",
        )
        .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.tenant_req(
            &a,
            Method::GET,
            &format!("/api/v1/tools/attachments/{id}/content"),
        ),
        StatusCode::NOT_FOUND,
        "feature-disabled",
    )
    .await;
    call(
        app.tenant_req(
            &a,
            Method::PUT,
            "/api/v1/settings/feature-flags/tools.attachments",
        )
        .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;
    let resp = download(&app, &a, id).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// A real S3-compatible server (moto, from PyPI; `scripts/test` installs it), stopped on drop.
struct S3Server {
    child: Child,
    port: u16,
}

impl S3Server {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let binary = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let mut child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server must be installed (scripts/test installs moto[server])");
        for _ in 0..100 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto_server exited with {status}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto_server did not listen within 10 s");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET signed by hand (Signature Version 4), as any S3 client would send it.
async fn signed_get(port: u16, path: &str) -> reqwest::Response {
    let host = format!("127.0.0.1:{port}");
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let headers = vec![
        ("host".to_owned(), host.clone()),
        ("x-amz-content-sha256".to_owned(), empty.to_owned()),
        ("x-amz-date".to_owned(), date.clone()),
    ];
    let auth = flightline::storage::sign_v4(&flightline::storage::SigningInput {
        method: "GET",
        path,
        query: "",
        headers: &headers,
        payload_sha256: empty,
        access_key: "testing",
        secret_key: "testing",
        region: "us-east-1",
        amz_date: &date,
    });
    reqwest::Client::new()
        .get(format!("http://{host}{path}"))
        .header("authorization", auth)
        .header("x-amz-content-sha256", empty)
        .header("x-amz-date", date)
        .send()
        .await
        .expect("signed get")
}

#[tokio::test]
async fn the_s3_backend_stores_under_the_tenant_prefix() {
    let s3 = S3Server::start().await;
    let overrides = override_kv("storage.backend", "s3")
        .merge(override_kv(
            "storage.s3_endpoint",
            format!("http://127.0.0.1:{}", s3.port),
        ))
        .merge(override_kv("storage.s3_bucket", "flightline-test"))
        .merge(override_kv("storage.s3_access_key_id", "testing"))
        .merge(override_kv("storage.s3_secret_access_key", "testing"));
    let app = TestApp::spawn_with(overrides).await;
    app.state
        .storage
        .s3()
        .expect("s3 backend")
        .create_bucket()
        .await
        .expect("create bucket");
    let a = app.signup("charter_operator").await;
    let b = app.signup("charter_operator").await;
    let file = upload_pdf(&app, &a, "manifest.pdf").await;
    let id = file["id"].as_str().expect("id");
    let resp = download(&app, &a, id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);

    // The object is in the bucket under A's prefix, as plain S3 sees it.
    let tenant = app.tenant(&a).await;
    let key = format!("tenants/{}/attachments/{id}", tenant.id.hyphenated());
    let raw = signed_get(s3.port, &format!("/flightline-test/{key}")).await;
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.bytes().await.expect("bytes").as_ref(), PDF);

    problem(
        app.tenant_req(
            &b,
            Method::GET,
            &format!("/api/v1/tools/attachments/{id}/content"),
        ),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(
            &a,
            Method::DELETE,
            &format!("/api/v1/tools/attachments/{id}"),
        ),
        StatusCode::NO_CONTENT,
    )
    .await;
    let object = flightline::storage::ObjectKey::new(
        &tenant,
        flightline::storage::Area::Attachments,
        id.parse().expect("uuid"),
    );
    assert!(
        app.state
            .storage
            .open(&object)
            .await
            .expect("open")
            .is_none()
    );
}
