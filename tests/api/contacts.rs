//! `/api/v1/contacts`: contacts with roles, airports and finance accounts; FBO profiles with
//! services, prices and fees; communication history; validation (422, nothing stored), the
//! in-use rule, permissions (403), another tenant's ids (404) and the feature flag.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const CONTACTS: &str = "/api/v1/contacts";

async fn create(app: &TestApp, t: &TestTenant, body: Value) -> Value {
    call(
        app.tenant_req(t, Method::POST, CONTACTS).json(&body),
        StatusCode::CREATED,
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn contacts_with_roles_airports_accounts_and_the_in_use_rule() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let account = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/accounts")
            .json(&json!({"kind": "organization", "name": "Acme Holdings"})),
        StatusCode::CREATED,
    )
    .await;
    let acme = create(
        &app,
        &t,
        json!({"kind": "organization", "name": "  Acme Holdings ", "roles": ["customer"],
               "email": "ops@acme.example", "country": "US",
               "finance_account_id": account["id"]}),
    )
    .await;
    assert_eq!(acme["name"], "Acme Holdings");
    assert_eq!(acme["finance_account_id"], account["id"]);
    let jane = create(
        &app,
        &t,
        json!({"kind": "person", "name": "Jane Booker", "roles": ["customer"],
               "organization_id": acme["id"], "phone": "+1 212 555 0100"}),
    )
    .await;
    // An IATA code is stored as the airport's code.
    let signature = create(
        &app,
        &t,
        json!({"kind": "organization", "name": "Signature TEB", "roles": ["fbo", "ground_handler"],
               "airport_code": "teb"}),
    )
    .await;
    assert_eq!(signature["airport_code"], "KTEB");

    let by_role = call(
        app.tenant_req(&t, Method::GET, &format!("{CONTACTS}?role=fbo")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&by_role), ["Signature TEB"]);
    let at = call(
        app.tenant_req(&t, Method::GET, &format!("{CONTACTS}?airport=kteb")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&at), ["Signature TEB"]);
    let people = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{CONTACTS}?organization_id={}", id(&acme)),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&people), ["Jane Booker"]);
    let found = call(
        app.tenant_req(&t, Method::GET, &format!("{CONTACTS}?q=555%200100")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&found), ["Jane Booker"]);
    // Pages of one, newest first, walk all three.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = call(
            app.tenant_req(
                &t,
                Method::GET,
                &format!("{CONTACTS}?limit=1&cursor={cursor}"),
            ),
            StatusCode::OK,
        )
        .await;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["Signature TEB", "Jane Booker", "Acme Holdings"]);

    // An organisation with people is in use: not deleted, made inactive.
    let acme_url = format!("{CONTACTS}/{}", id(&acme));
    problem(
        app.tenant_req(&t, Method::DELETE, &acme_url),
        StatusCode::CONFLICT,
        "contact-in-use",
    )
    .await;
    let updated = call(
        app.tenant_req(&t, Method::PATCH, &acme_url)
            .json(&json!({"active": false, "email": null, "version": 1})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&updated["active"], &updated["email"], &updated["version"]),
        (&json!(false), &Value::Null, &json!(2))
    );
    problem(
        app.tenant_req(&t, Method::PATCH, &acme_url)
            .json(&json!({"name": "x", "version": 1})),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    let active = call(app.tenant_req(&t, Method::GET, CONTACTS), StatusCode::OK).await;
    assert_eq!(names(&active), ["Signature TEB", "Jane Booker"]);
    let all = call(
        app.tenant_req(
            &t,
            Method::GET,
            &format!("{CONTACTS}?include_inactive=true"),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["items"].as_array().expect("items").len(), 3);
    // A contact without history is deleted.
    let sig_url = format!("{CONTACTS}/{}", id(&signature));
    call(
        app.tenant_req(&t, Method::DELETE, &sig_url),
        StatusCode::NO_CONTENT,
    )
    .await;
    problem(
        app.tenant_req(&t, Method::GET, &sig_url),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(jane["organization_id"], acme["id"]);
    assert_eq!(
        audit_actions(&app, &t, "contact").await,
        [
            "contact.deleted",
            "contact.updated",
            "contact.created",
            "contact.created",
            "contact.created"
        ]
    );
}

#[tokio::test]
async fn bad_contacts_are_422_and_store_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let person = create(&app, &t, json!({"kind": "person", "name": "Solo"})).await;
    for (field, body) in [
        ("name", json!({"kind": "person", "name": "  "})),
        ("kind", json!({"kind": "robot", "name": "R2"})),
        (
            "roles[0]",
            json!({"kind": "person", "name": "A", "roles": ["pilot"]}),
        ),
        (
            "email",
            json!({"kind": "person", "name": "A", "email": "not-mail"}),
        ),
        (
            "airport_code",
            json!({"kind": "organization", "name": "A", "airport_code": "QQQQQ"}),
        ),
        // Only a person belongs to an organisation, and it must be one.
        (
            "organization_id",
            json!({"kind": "organization", "name": "A",
                                   "organization_id": person["id"]}),
        ),
        (
            "organization_id",
            json!({"kind": "person", "name": "A",
                                   "organization_id": person["id"]}),
        ),
        (
            "finance_account_id",
            json!({"kind": "person", "name": "A",
                                      "finance_account_id": uuid::Uuid::now_v7()}),
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, CONTACTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let list = call(app.tenant_req(&t, Method::GET, CONTACTS), StatusCode::OK).await;
    assert_eq!(names(&list), ["Solo"]);
}

#[tokio::test]
async fn fbo_profiles_with_prices_and_fees_per_type() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let fbo = create(
        &app,
        &t,
        json!({"kind": "organization", "name": "Jet Aviation", "roles": ["fbo"],
               "airport_code": "KTEB"}),
    )
    .await;
    let url = format!("{CONTACTS}/{}/fbo", id(&fbo));
    let empty = call(app.tenant_req(&t, Method::GET, &url), StatusCode::OK).await;
    assert_eq!(
        (&empty["version"], &empty["currency"], &empty["fees"]),
        (&json!(0), &Value::Null, &json!([]))
    );
    let profile = json!({
        "services": ["fuel_jet_a", "gpu", "lavatory", "crew_car"],
        "open_24h": true, "frequency": "129.800", "currency": "USD",
        "fuel_prices": [{"product": "jet_a", "unit": "usg", "price_minor": 845,
                         "effective_on": "2026-12-01"}],
        "fees": [{"kind": "landing", "amount_minor": 15000},
                 {"kind": "handling", "amount_minor": 50000},
                 {"kind": "handling", "aircraft_type": "C25A", "amount_minor": 35000}]
    });
    let stored = call(
        app.tenant_req(&t, Method::PUT, &url).json(&profile),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["fees"].as_array().expect("fees").len(), 3);
    assert_eq!(stored["fuel_prices"][0]["price_minor"], 845);
    // Replaced as a whole; a stale version is refused.
    let mut next = profile.clone();
    next["fees"] = json!([{"kind": "landing", "amount_minor": 17500}]);
    next["version"] = json!(1);
    let replaced = call(
        app.tenant_req(&t, Method::PUT, &url).json(&next),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&replaced["version"], &replaced["fees"]),
        (
            &json!(2),
            &json!([{"kind": "landing", "aircraft_type": null, "amount_minor": 17500}])
        )
    );
    problem(
        app.tenant_req(&t, Method::PUT, &url).json(&next),
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    // Two prices for one product, two general fees of one kind: 422, nothing changes.
    let mut twice = profile.clone();
    twice["fuel_prices"] = json!([
        {"product": "jet_a", "unit": "usg", "price_minor": 845, "effective_on": "2026-12-01"},
        {"product": "jet_a", "unit": "l", "price_minor": 223, "effective_on": "2026-12-01"}]);
    twice["version"] = json!(2);
    problem(
        app.tenant_req(&t, Method::PUT, &url).json(&twice),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let mut dup_fee = profile.clone();
    dup_fee["fees"] =
        json!([{"kind": "ramp", "amount_minor": 1}, {"kind": "ramp", "amount_minor": 2}]);
    dup_fee["version"] = json!(2);
    problem(
        app.tenant_req(&t, Method::PUT, &url).json(&dup_fee),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let now = call(app.tenant_req(&t, Method::GET, &url), StatusCode::OK).await;
    assert_eq!(now["version"], 2);
    // A customer has no FBO profile.
    let customer = create(
        &app,
        &t,
        json!({"kind": "person", "name": "Pat", "roles": ["customer"]}),
    )
    .await;
    problem(
        app.tenant_req(
            &t,
            Method::PUT,
            &format!("{CONTACTS}/{}/fbo", id(&customer)),
        )
        .json(&profile),
        StatusCode::CONFLICT,
        "not-an-fbo",
    )
    .await;
    let actions = audit_actions(&app, &t, "contact").await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "contact.fbo_updated")
            .count(),
        2
    );
}

#[tokio::test]
async fn communication_history_newest_first_with_authors() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let (_, sales) = app.user_with_roles(&t, &["sales"]).await;
    let (_, finance) = app.user_with_roles(&t, &["finance"]).await;
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    let c = create(&app, &t, json!({"kind": "person", "name": "Jane"})).await;
    let url = format!("{CONTACTS}/{}/communications", id(&c));
    let call1 = call(
        app.tenant_req(&sales, Method::POST, &url).json(&json!({
            "kind": "call", "direction": "inbound", "subject": "Quote for Aspen",
            "occurred_at": "2026-12-01T15:00:00Z", "duration_minutes": 12})),
        StatusCode::CREATED,
    )
    .await;
    let note = call(
        app.tenant_req(&finance, Method::POST, &url)
            .json(&json!({"kind": "note", "subject": "Pays by wire", "body": "Net 30"})),
        StatusCode::CREATED,
    )
    .await;
    assert!(note["author_id"].is_string());
    for (field, body) in [
        (
            "direction",
            json!({"kind": "note", "direction": "inbound", "subject": "x"}),
        ),
        (
            "occurred_at",
            json!({"kind": "call", "subject": "x",
                               "occurred_at": "2099-01-01T00:00:00Z"}),
        ),
        ("subject", json!({"kind": "call", "subject": " "})),
        (
            "duration_minutes",
            json!({"kind": "call", "subject": "x", "duration_minutes": 1441}),
        ),
    ] {
        let p = problem(
            app.tenant_req(&sales, Method::POST, &url).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    // Newest first, one per page; by kind.
    let first = call(
        app.tenant_req(&pilot, Method::GET, &format!("{url}?limit=1")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["items"][0]["subject"], "Pays by wire");
    let second = call(
        app.tenant_req(
            &pilot,
            Method::GET,
            &format!(
                "{url}?limit=1&cursor={}",
                first["next_cursor"].as_str().expect("c")
            ),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&second["items"][0]["subject"], &second["next_cursor"]),
        (&json!("Quote for Aspen"), &Value::Null)
    );
    let calls = call(
        app.tenant_req(&t, Method::GET, &format!("{url}?kind=call")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(calls["items"].as_array().expect("items").len(), 1);
    // A pilot reads but does not log; finance removes only its own entries.
    problem(
        app.tenant_req(&pilot, Method::POST, &url)
            .json(&json!({"kind": "note", "subject": "x"})),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&finance, Method::DELETE, &format!("{url}/{}", id(&call1))),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    call(
        app.tenant_req(&finance, Method::DELETE, &format!("{url}/{}", id(&note))),
        StatusCode::NO_CONTENT,
    )
    .await;
    // A contact with history is kept.
    problem(
        app.tenant_req(&t, Method::DELETE, &format!("{CONTACTS}/{}", id(&c))),
        StatusCode::CONFLICT,
        "contact-in-use",
    )
    .await;
    assert_eq!(
        audit_actions(&app, &t, "contact_communication").await,
        [
            "contact.communication_deleted",
            "contact.communication_logged",
            "contact.communication_logged"
        ]
    );
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("charter_operator").await;
    let fbo = create(
        &app,
        &t,
        json!({"kind": "organization", "name": "Mine", "roles": ["fbo"]}),
    )
    .await;
    let contact = format!("{CONTACTS}/{}", id(&fbo));
    let profile = format!("{contact}/fbo");
    call(
        app.tenant_req(&t, Method::PUT, &profile)
            .json(&json!({"currency": "USD"})),
        StatusCode::OK,
    )
    .await;
    let comms = format!("{contact}/communications");
    let entry = call(
        app.tenant_req(&t, Method::POST, &comms)
            .json(&json!({"kind": "note", "subject": "x"})),
        StatusCode::CREATED,
    )
    .await;
    let entry_url = format!("{comms}/{}", id(&entry));
    let person = json!({"kind": "person", "name": "x"});
    let note = json!({"kind": "note", "subject": "x"});
    let usd = json!({"currency": "USD"});
    let routes = [
        (Method::GET, CONTACTS.to_owned(), json!({})),
        (Method::POST, CONTACTS.to_owned(), person.clone()),
        (Method::GET, contact.clone(), json!({})),
        (Method::PATCH, contact.clone(), json!({"name": "x"})),
        (Method::DELETE, contact.clone(), json!({})),
        (Method::GET, profile.clone(), json!({})),
        (Method::PUT, profile.clone(), usd.clone()),
        (Method::GET, comms.clone(), json!({})),
        (Method::POST, comms.clone(), note.clone()),
        (Method::DELETE, entry_url.clone(), json!({})),
    ];
    // A student holds none of the permissions.
    let (_, student) = app.user_with_roles(&t, &["student"]).await;
    for (method, path, body) in &routes {
        problem(
            app.tenant_req(&student, method.clone(), path).json(body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another tenant's admin: the ids do not exist there.
    for (method, path, body) in routes.iter().filter(|(_, p, _)| p != CONTACTS) {
        problem(
            app.tenant_req(&other, method.clone(), path).json(body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // The module switched off: 404 feature-disabled, and back.
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/contacts")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, CONTACTS)
            .send()
            .await
            .expect("send");
        let want = if enabled {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(resp.status(), want);
    }
}
