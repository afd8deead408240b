//! Finance: accounts, prices and taxes, invoices (drafts, issue with gapless numbers, void,
//! credit notes), payments (partial, overpayment into the deposit, refunds), statements,
//! reports; permissions, other tenants and the flag. Every scenario ends with the books
//! balanced (the trial balance sums to zero per currency and every transaction balances).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, audit_actions, call, problem};

const ACCOUNTS: &str = "/api/v1/finance/accounts";
const INVOICES: &str = "/api/v1/finance/invoices";
const PAYMENTS: &str = "/api/v1/finance/payments";

impl TestApp {
    /// The trial balance holds: every transaction balances and the ledgers sum to zero.
    pub async fn assert_books_balance(&self, t: &TestTenant) -> Value {
        let tb = call(
            self.tenant_req(t, Method::GET, "/api/v1/finance/ledger/trial-balance"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(tb["balanced"], true, "{tb}");
        let sum: i64 = tb["ledgers"]
            .as_array()
            .expect("ledgers")
            .iter()
            .map(|l| l["balance_minor"].as_i64().expect("balance"))
            .sum();
        assert_eq!(sum, 0, "{tb}");
        tb
    }

    pub async fn finance_account(&self, t: &TestTenant, name: &str) -> String {
        call(
            self.tenant_req(t, Method::POST, ACCOUNTS)
                .json(&json!({"kind": "person", "name": name, "currency": "USD"})),
            StatusCode::CREATED,
        )
        .await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// A draft with one written-out line of `amount` (1 × amount, no tax), issued.
    pub async fn issued_invoice(&self, t: &TestTenant, account: &str, amount: i64) -> Value {
        let draft = call(
            self.tenant_req(t, Method::POST, INVOICES).json(&json!({
                "account_id": account,
                "lines": [{"description": "Ground school", "category": "instructor", "unit": "hour",
                           "unit_price_minor": amount, "quantity_milli": 1000}]
            })),
            StatusCode::CREATED,
        )
        .await;
        call(
            self.tenant_req(
                t,
                Method::POST,
                &format!("{INVOICES}/{}/issue", draft["id"].as_str().expect("id")),
            ),
            StatusCode::OK,
        )
        .await
    }

    pub async fn pay(
        &self,
        t: &TestTenant,
        account: &str,
        amount: i64,
        invoice: Option<&str>,
    ) -> Value {
        call(
            self.tenant_req(t, Method::POST, PAYMENTS).json(&json!({
                "account_id": account, "method": "cash", "amount_minor": amount,
                "invoice_id": invoice
            })),
            StatusCode::CREATED,
        )
        .await
    }
}

async fn get(app: &TestApp, t: &TestTenant, path: &str) -> Value {
    call(app.tenant_req(t, Method::GET, path), StatusCode::OK).await
}

fn year() -> i32 {
    chrono::Datelike::year(&chrono::Utc::now().date_naive())
}

#[tokio::test]
async fn invoices_taxes_payments_and_the_ledger() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let fet = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/tax-rates")
            .json(&json!({"name": "US federal excise tax", "rate_ppm": 75000})),
        StatusCode::CREATED,
    )
    .await;
    let item = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/prices")
            .json(&json!({
                "code": "charter-hour", "name": "Charter flight hour", "category": "charter",
                "unit": "block_hour", "unit_price_minor": 250_000, "currency": "USD",
                "tax_rate_ids": [fet["id"]]
            })),
        StatusCode::CREATED,
    )
    .await;
    let account = app.finance_account(&t, "Zürich Medical AG").await;
    let draft = call(
        app.tenant_req(&t, Method::POST, INVOICES).json(&json!({
            "account_id": account,
            "lines": [
                {"price_item_id": item["id"], "quantity_milli": 2_300},
                {"description": "Catering", "category": "handling", "unit": "each",
                 "unit_price_minor": 12_345, "quantity_milli": 1_000}
            ],
            "notes": "Trip KTEB-KPBI"
        })),
        StatusCode::CREATED,
    )
    .await;
    // 2.3 h × 2,500.00 = 5,750.00 + 7.5 % FET 431.25; catering 123.45 untaxed.
    assert_eq!(draft["status"], "draft");
    assert!(draft["number"].is_null());
    assert_eq!(draft["lines"][0]["net_minor"], 575_000);
    assert_eq!(draft["lines"][0]["tax_minor"], 43_125);
    assert_eq!(
        draft["lines"][0]["taxes"][0]["name"],
        "US federal excise tax"
    );
    assert_eq!(draft["subtotal_minor"], 587_345);
    assert_eq!(draft["tax_minor"], 43_125);
    assert_eq!(draft["total_minor"], 630_470);
    assert_eq!(draft["due_minor"], 0, "a draft owes nothing");
    let id = draft["id"].as_str().expect("id").to_owned();
    let inv = format!("{INVOICES}/{id}");

    // A draft changes; nothing reaches the ledger.
    let changed = call(
        app.tenant_req(&t, Method::PATCH, &inv).json(&json!({
            "lines": [{"price_item_id": item["id"], "quantity_milli": 2_000}], "version": 1
        })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["total_minor"], 537_500);
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(
        (a["receivable_minor"].as_i64(), a["balance_minor"].as_i64()),
        (Some(0), Some(0))
    );

    let issued = call(
        app.tenant_req(&t, Method::POST, &format!("{inv}/issue")),
        StatusCode::OK,
    )
    .await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["number"], format!("INV-{}-00001", year()));
    assert_eq!(issued["due_minor"], 537_500);
    assert_eq!(
        issued["due_date"], issued["issue_date"],
        "due on receipt by default"
    );
    // Issued invoices never change.
    problem(
        app.tenant_req(&t, Method::PATCH, &inv)
            .json(&json!({"notes": "x"})),
        StatusCode::CONFLICT,
        "invoice-issued",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::DELETE, &inv),
        StatusCode::CONFLICT,
        "invoice-issued",
    )
    .await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{inv}/issue")),
        StatusCode::CONFLICT,
        "invoice-not-draft",
    )
    .await;
    let tb = app.assert_books_balance(&t).await;
    let ledger = |tb: &Value, name: &str| -> i64 {
        tb["ledgers"]
            .as_array()
            .expect("ledgers")
            .iter()
            .filter(|l| l["ledger"] == name)
            .map(|l| l["balance_minor"].as_i64().expect("n"))
            .sum()
    };
    assert_eq!(ledger(&tb, "receivables"), 537_500);
    assert_eq!(ledger(&tb, "revenue"), -500_000);
    assert_eq!(ledger(&tb, "tax_payable"), -37_500);

    // A partial payment, then an overpayment: the rest is prepaid credit.
    let p1 = app.pay(&t, &account, 200_000, Some(&id)).await;
    assert_eq!(p1["amount_minor"], 200_000);
    let now = get(&app, &t, &inv).await;
    assert_eq!(
        (
            now["status"].as_str(),
            now["due_minor"].as_i64(),
            now["paid_minor"].as_i64()
        ),
        (Some("partly_paid"), Some(337_500), Some(200_000))
    );
    app.pay(&t, &account, 400_000, None).await;
    let now = get(&app, &t, &inv).await;
    assert_eq!(
        (now["status"].as_str(), now["due_minor"].as_i64()),
        (Some("paid"), Some(0))
    );
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(
        (
            a["receivable_minor"].as_i64(),
            a["deposit_minor"].as_i64(),
            a["balance_minor"].as_i64()
        ),
        (Some(0), Some(62_500), Some(62_500))
    );
    // The next invoice is paid from the deposit as it is issued.
    let second = app.issued_invoice(&t, &account, 50_000).await;
    assert_eq!(second["number"], format!("INV-{}-00002", year()));
    assert_eq!(
        (second["status"].as_str(), second["paid_minor"].as_i64()),
        (Some("paid"), Some(50_000))
    );
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(a["deposit_minor"], 12_500);

    // The statement: every transaction, the running amount owed, from the ledger.
    let st = get(&app, &t, &format!("{ACCOUNTS}/{account}/statement")).await;
    let kinds: Vec<&str> = st["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "invoice_issued",
            "payment_received",
            "deposit_applied",
            "payment_received",
            "deposit_applied",
            "invoice_issued",
            "deposit_applied"
        ]
    );
    assert_eq!(st["opening_owed_minor"], 0);
    assert_eq!(st["closing_owed_minor"], -12_500);
    assert_eq!(st["entries"][0]["owed_minor"], 537_500);
    let csv = app
        .tenant_req(
            &t,
            Method::GET,
            &format!("{ACCOUNTS}/{account}/statement.csv"),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.expect("text");
    assert!(body.starts_with("at,kind,memo,invoice_number,amount_minor,owed_minor,currency"));
    assert!(body.contains(&format!("INV-{}-00001", year())), "{body}");

    assert_eq!(
        audit_actions(&app, &t, "invoice").await[..3],
        ["invoice.issued", "invoice.created", "invoice.issued"]
    );
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn void_credit_notes_and_refunds() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let account = app.finance_account(&t, "Student One").await;

    // An unpaid invoice is voided: its entry is reversed, its number stays used.
    let first = app.issued_invoice(&t, &account, 10_000).await;
    let voided = call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{INVOICES}/{}/void", first["id"].as_str().expect("id")),
        )
        .json(&json!({"reason": "Wrong customer"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (voided["status"].as_str(), voided["number"].clone()),
        (Some("void"), first["number"].clone())
    );
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(a["receivable_minor"], 0);

    // A paid-on invoice is not voided: it is credited.
    let inv = app.issued_invoice(&t, &account, 20_000).await;
    assert_eq!(inv["number"], format!("INV-{}-00002", year()));
    let id = inv["id"].as_str().expect("id").to_owned();
    let payment = app.pay(&t, &account, 15_000, Some(&id)).await;
    problem(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/void"))
            .json(&json!({"reason": "x"})),
        StatusCode::CONFLICT,
        "invoice-settled",
    )
    .await;
    let line = inv["lines"][0]["id"].as_str().expect("line").to_owned();
    // Crediting more than the line holds is refused and changes nothing.
    problem(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/credit-notes"))
            .json(&json!({"reason": "x", "lines": [{"line_id": line, "quantity_milli": 1_001}]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    // A quarter, then the rest.
    let cn1 = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/credit-notes"))
            .json(&json!({"reason": "Lesson cut short", "lines": [{"line_id": line, "quantity_milli": 250}]})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (cn1["kind"].as_str(), cn1["total_minor"].as_i64()),
        (Some("credit_note"), Some(5_000))
    );
    assert_eq!(cn1["number"], format!("INV-{}-00003", year()));
    assert_eq!(cn1["credited_invoice_id"], id.as_str());
    let now = get(&app, &t, &format!("{INVOICES}/{id}")).await;
    assert_eq!(
        (
            now["status"].as_str(),
            now["due_minor"].as_i64(),
            now["credited_minor"].as_i64()
        ),
        (Some("paid"), Some(0), Some(5_000))
    );
    let cn2 = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/credit-notes"))
            .json(&json!({"reason": "Cancelled"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(cn2["total_minor"], 15_000);
    problem(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/credit-notes"))
            .json(&json!({"reason": "again"})),
        StatusCode::CONFLICT,
        "nothing-to-credit",
    )
    .await;
    // Everything paid came back as credit.
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(
        (a["receivable_minor"].as_i64(), a["deposit_minor"].as_i64()),
        (Some(0), Some(15_000))
    );

    // Refunds: never more than paid, from the deposit.
    let pay_url = format!("{PAYMENTS}/{}/refunds", payment["id"].as_str().expect("id"));
    problem(
        app.tenant_req(&t, Method::POST, &pay_url)
            .json(&json!({"amount_minor": 15_001})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let r = call(
        app.tenant_req(&t, Method::POST, &pay_url)
            .json(&json!({"amount_minor": 15_000, "reason": "Leaving"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(r["amount_minor"], 15_000);
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(a["balance_minor"], 0);
    let p = get(
        &app,
        &t,
        &format!("{PAYMENTS}/{}", payment["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(p["refunded_minor"], 15_000);

    // A refund of a payment that paid an invoice reopens it.
    let inv = app.issued_invoice(&t, &account, 30_000).await;
    let paid = app.pay(&t, &account, 30_000, None).await;
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{PAYMENTS}/{}/refunds", paid["id"].as_str().expect("id")),
        )
        .json(&json!({"amount_minor": 10_000})),
        StatusCode::CREATED,
    )
    .await;
    let now = get(
        &app,
        &t,
        &format!("{INVOICES}/{}", inv["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(
        (now["status"].as_str(), now["due_minor"].as_i64()),
        (Some("partly_paid"), Some(10_000))
    );
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn thirty_two_issuers_get_gapless_numbers() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/invoice_numbering")
            .json(&json!({"value": {"prefix": "FS-", "next_number": 100, "padding": 4}})),
        StatusCode::OK,
    )
    .await;
    let account = app.finance_account(&t, "Busy renter").await;
    let mut drafts = Vec::new();
    for _ in 0..32 {
        let d = call(
            app.tenant_req(&t, Method::POST, INVOICES).json(&json!({
                "account_id": account,
                "lines": [{"description": "Fee", "category": "fee", "unit": "each",
                           "unit_price_minor": 100, "quantity_milli": 1000}]
            })),
            StatusCode::CREATED,
        )
        .await;
        drafts.push(d["id"].as_str().expect("id").to_owned());
    }
    let issues = drafts.iter().map(|id| {
        let app = &app;
        let t = &t;
        async move {
            call(
                app.tenant_req(t, Method::POST, &format!("{INVOICES}/{id}/issue")),
                StatusCode::OK,
            )
            .await["number"]
                .as_str()
                .expect("number")
                .to_owned()
        }
    });
    let mut numbers = futures_util::future::join_all(issues).await;
    numbers.sort();
    let want: Vec<String> = (100..132)
        .map(|n| format!("FS-{}-{n:04}", year()))
        .collect();
    assert_eq!(numbers, want);
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn idempotent_payments_and_bad_input() {
    let app = TestApp::spawn().await;
    let t = app.signup("fbo").await;
    let account = app.finance_account(&t, "Jet operator").await;
    let body = json!({"account_id": account, "method": "bank_transfer", "amount_minor": 5_000});
    let first = call(
        app.tenant_req(&t, Method::POST, PAYMENTS)
            .header("Idempotency-Key", "k-1")
            .json(&body),
        StatusCode::CREATED,
    )
    .await;
    let again = call(
        app.tenant_req(&t, Method::POST, PAYMENTS)
            .header("Idempotency-Key", "k-1")
            .json(&body),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["id"], again["id"]);
    problem(
        app.tenant_req(&t, Method::POST, PAYMENTS)
            .header("Idempotency-Key", "k-1")
            .json(&json!({"account_id": account, "method": "cash", "amount_minor": 5_000})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    for (body, field) in [
        (
            json!({"account_id": account, "method": "card", "amount_minor": 1}),
            "method",
        ),
        (
            json!({"account_id": account, "method": "cash", "amount_minor": 0}),
            "amount_minor",
        ),
        (
            json!({"account_id": account, "method": "cash", "amount_minor": 1, "currency": "EUR"}),
            "currency",
        ),
        (
            json!({"account_id": uuid::Uuid::new_v4(), "method": "cash", "amount_minor": 1}),
            "account_id",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, PAYMENTS).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    for (body, field) in [
        (json!({"account_id": account, "lines": []}), "lines"),
        (
            json!({"account_id": account, "lines": [{"quantity_milli": 1000}]}),
            "lines[0].description",
        ),
        (
            json!({"account_id": account, "lines": [{"description": "x", "category": "fee", "unit": "each",
                 "unit_price_minor": -5, "quantity_milli": 1000}]}),
            "lines[0].unit_price_minor",
        ),
        (
            json!({"account_id": account, "lines": [{"description": "x", "category": "fee", "unit": "each",
                 "unit_price_minor": 5, "quantity_milli": 1000, "tax_rate_ids": [uuid::Uuid::new_v4()]}]}),
            "lines[0].tax_rate_ids",
        ),
    ] {
        let p = problem(
            app.tenant_req(&t, Method::POST, INVOICES).json(&body),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let list = get(&app, &t, INVOICES).await;
    assert_eq!(list["items"], json!([]));
    let a = get(&app, &t, &format!("{ACCOUNTS}/{account}")).await;
    assert_eq!(a["deposit_minor"], 5_000, "only the one idempotent payment");
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn reports_read_the_books() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let plane = app.create_aircraft(&t, "N172FL").await;
    let (instructor, _) = app.user_with_roles(&t, &["instructor"]).await;
    let account = app.finance_account(&t, "Renter").await;
    let draft = call(
        app.tenant_req(&t, Method::POST, INVOICES).json(&json!({
            "account_id": account,
            "lines": [
                {"description": "C172 wet", "category": "aircraft", "unit": "hobbs_hour",
                 "unit_price_minor": 18_500, "quantity_milli": 1_500, "aircraft_id": plane["id"]},
                {"description": "Dual instruction", "category": "instructor", "unit": "hour",
                 "unit_price_minor": 7_000, "quantity_milli": 1_500, "instructor_id": instructor}
            ]
        })),
        StatusCode::CREATED,
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{INVOICES}/{}/issue", draft["id"].as_str().expect("id")),
        ),
        StatusCode::OK,
    )
    .await;
    let revenue = get(&app, &t, "/api/v1/finance/reports/revenue").await;
    let rows = revenue["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{revenue}");
    assert!(
        rows.iter()
            .any(|r| r["category"] == "aircraft" && r["net_minor"] == 27_750)
    );
    assert!(
        rows.iter()
            .any(|r| r["category"] == "instructor" && r["net_minor"] == 10_500)
    );
    let aircraft = get(&app, &t, "/api/v1/finance/reports/aircraft").await;
    assert_eq!(aircraft["rows"][0]["registration"], "N172FL");
    assert_eq!(aircraft["rows"][0]["hours_milli"], 1_500);
    assert_eq!(aircraft["rows"][0]["revenue_per_hour_minor"], 18_500);
    let instructors = get(&app, &t, "/api/v1/finance/reports/instructors").await;
    assert_eq!(instructors["rows"][0]["hours_milli"], 1_500);
    assert_eq!(instructors["rows"][0]["revenue_minor"], 10_500);
    let ageing = get(&app, &t, "/api/v1/finance/reports/ageing").await;
    assert_eq!(ageing["rows"][0]["current_minor"], 38_250);
    assert_eq!(ageing["rows"][0]["total_minor"], 38_250);
    for csv in ["revenue", "aircraft", "instructors", "ageing"] {
        let resp = app
            .tenant_req(
                &t,
                Method::GET,
                &format!("/api/v1/finance/reports/{csv}.csv"),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::OK, "{csv}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("text/csv")
        );
        let body = resp.text().await.expect("body");
        assert_eq!(
            body.lines().count(),
            if csv == "revenue" { 3 } else { 2 },
            "{csv}: {body}"
        );
    }
    problem(
        app.tenant_req(
            &t,
            Method::GET,
            "/api/v1/finance/reports/revenue?from=2026-02-01&to=2026-01-01",
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn permissions_other_tenants_and_the_flag() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let other = app.signup("flight_school").await;
    let account = app.finance_account(&t, "Mine").await;
    let inv = app.issued_invoice(&t, &account, 1_000).await;
    let inv_id = inv["id"].as_str().expect("id").to_owned();
    let pay = app.pay(&t, &account, 500, None).await;
    let pay_id = pay["id"].as_str().expect("id").to_owned();
    let tax = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/tax-rates")
            .json(&json!({"name": "VAT", "rate_ppm": 81000, "inclusive": true})),
        StatusCode::CREATED,
    )
    .await;
    let tax_id = tax["id"].as_str().expect("id").to_owned();
    let price = call(
        app.tenant_req(&t, Method::POST, "/api/v1/finance/prices").json(&json!({
            "code": "landing", "name": "Landing fee", "category": "fee", "unit": "each", "unit_price_minor": 1500
        })),
        StatusCode::CREATED,
    )
    .await;
    let price_id = price["id"].as_str().expect("id").to_owned();

    let reads = [
        ACCOUNTS.to_owned(),
        format!("{ACCOUNTS}/{account}"),
        format!("{ACCOUNTS}/{account}/statement"),
        format!("{ACCOUNTS}/{account}/statement.csv"),
        INVOICES.to_owned(),
        format!("{INVOICES}/{inv_id}"),
        PAYMENTS.to_owned(),
        format!("{PAYMENTS}/{pay_id}"),
        "/api/v1/finance/tax-rates".to_owned(),
        "/api/v1/finance/prices".to_owned(),
        format!("/api/v1/finance/prices/{price_id}"),
        "/api/v1/finance/reports/revenue".to_owned(),
        "/api/v1/finance/reports/ageing".to_owned(),
        "/api/v1/finance/ledger/trial-balance".to_owned(),
    ];
    let changes = [
        (
            Method::PATCH,
            format!("{ACCOUNTS}/{account}"),
            json!({"name": "x"}),
        ),
        (
            Method::PATCH,
            format!("{INVOICES}/{inv_id}"),
            json!({"notes": "x"}),
        ),
        (Method::DELETE, format!("{INVOICES}/{inv_id}"), json!({})),
        (
            Method::POST,
            format!("{INVOICES}/{inv_id}/issue"),
            json!({}),
        ),
        (
            Method::POST,
            format!("{INVOICES}/{inv_id}/void"),
            json!({"reason": "x"}),
        ),
        (
            Method::POST,
            format!("{INVOICES}/{inv_id}/credit-notes"),
            json!({"reason": "x"}),
        ),
        (
            Method::POST,
            format!("{PAYMENTS}/{pay_id}/refunds"),
            json!({"amount_minor": 1}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/finance/tax-rates/{tax_id}"),
            json!({"name": "x"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/finance/prices/{price_id}"),
            json!({"name": "x"}),
        ),
    ];
    // An instructor holds neither permission.
    let (_, instructor) = app.user_with_roles(&t, &["instructor"]).await;
    for path in &reads {
        problem(
            app.tenant_req(&instructor, Method::GET, path),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let line = json!([{"price_item_id": price_id, "quantity_milli": 1000}]);
    let creates = [
        (
            Method::POST,
            ACCOUNTS.to_owned(),
            json!({"kind": "person", "name": "x"}),
        ),
        (
            Method::POST,
            INVOICES.to_owned(),
            json!({"account_id": account, "lines": line}),
        ),
        (
            Method::POST,
            PAYMENTS.to_owned(),
            json!({"account_id": account, "method": "cash", "amount_minor": 1}),
        ),
        (
            Method::POST,
            "/api/v1/finance/tax-rates".to_owned(),
            json!({"name": "x", "rate_ppm": 1}),
        ),
        (
            Method::POST,
            "/api/v1/finance/prices".to_owned(),
            json!({"code": "x", "name": "x", "category": "fee", "unit": "each", "unit_price_minor": 1}),
        ),
    ];
    for (method, path, body) in creates.iter().chain(&changes) {
        problem(
            app.tenant_req(&instructor, method.clone(), path).json(body),
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // Another tenant's admin: the ids do not exist there.
    for path in reads
        .iter()
        .filter(|p| p.matches('/').count() > 4 && !p.contains("reports") && !p.contains("ledger"))
    {
        problem(
            app.tenant_req(&other, Method::GET, path),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    for (method, path, body) in &changes {
        problem(
            app.tenant_req(&other, method.clone(), path).json(body),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // Another tenant's account cannot be billed or paid into.
    problem(
        app.tenant_req(&other, Method::POST, PAYMENTS)
            .json(&json!({"account_id": account, "method": "cash", "amount_minor": 1})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        app.tenant_req(&other, Method::POST, INVOICES).json(&json!({"account_id": account, "lines": [{"price_item_id": price_id, "quantity_milli": 1000}]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    app.assert_books_balance(&other).await;
    // The module switched off: 404 feature-disabled, and back.
    for enabled in [false, true] {
        call(
            app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/finance")
                .json(&json!({"enabled": enabled})),
            StatusCode::OK,
        )
        .await;
        let resp = app
            .tenant_req(&t, Method::GET, ACCOUNTS)
            .send()
            .await
            .expect("send");
        assert_eq!(
            resp.status(),
            if enabled {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }
        );
    }
    app.assert_books_balance(&t).await;
}

fn slot(days: i64, hour: u32) -> String {
    let d = (chrono::Utc::now() + chrono::Duration::days(days)).date_naive();
    d.and_hms_opt(hour, 0, 0)
        .expect("time")
        .and_utc()
        .to_rfc3339()
}

#[tokio::test]
async fn check_in_drafts_the_invoice_and_dispatch_reads_the_account() {
    let app = TestApp::spawn().await;
    let t = app.signup("flight_school").await;
    let plane = app.create_aircraft(&t, "HB-FIN").await;
    let (instructor_id, _) = app.user_with_roles(&t, &["instructor"]).await;
    let (student_id, student) = app.user_with_roles(&t, &["student"]).await;
    let price = |body: Value| {
        let app = &app;
        let t = &t;
        async move {
            call(
                app.tenant_req(t, Method::POST, "/api/v1/finance/prices")
                    .json(&body),
                StatusCode::CREATED,
            )
            .await
        }
    };
    price(json!({"code": "c172-wet", "name": "C172 wet", "category": "aircraft", "unit": "hobbs_hour",
                 "unit_price_minor": 18_500, "currency": "USD", "aircraft_id": plane["id"], "wet": true})).await;
    price(
        json!({"code": "c172-wet-member", "name": "C172 wet (member)", "category": "aircraft",
                 "unit": "hobbs_hour", "unit_price_minor": 16_000, "currency": "USD",
                 "aircraft_id": plane["id"], "wet": true, "price_tier": "member"}),
    )
    .await;
    price(json!({"code": "cfi", "name": "Flight instruction", "category": "instructor", "unit": "hour",
                 "unit_price_minor": 7_000, "currency": "USD"})).await;
    price(
        json!({"code": "landing", "name": "Landing fee", "category": "fee", "unit": "each",
                 "unit_price_minor": 1_500, "currency": "USD", "applies_at": "check_in"}),
    )
    .await;
    let account = call(
        app.tenant_req(&t, Method::POST, ACCOUNTS).json(&json!({
            "kind": "person", "name": "Student", "user_id": student_id, "currency": "USD",
            "price_tier": "member"})),
        StatusCode::CREATED,
    )
    .await;
    let account_id = account["id"].as_str().expect("id").to_owned();
    problem(
        app.tenant_req(&t, Method::POST, ACCOUNTS)
            .json(&json!({"kind": "person", "name": "Again", "user_id": student_id})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    let booking = call(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({
            "kind": "dual", "aircraft_id": plane["id"], "instructor_id": instructor_id,
            "starts_at": slot(2, 8), "ends_at": slot(2, 10)})),
        StatusCode::CREATED,
    )
    .await;
    let b = format!(
        "/api/v1/scheduling/bookings/{}",
        booking["id"].as_str().expect("id")
    );
    call(
        app.tenant_req(&student, Method::POST, &format!("{b}/check-out"))
            .json(&json!({})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&student, Method::POST, &format!("{b}/check-in"))
            .json(&json!({"hobbs_in": 1201.6, "tach_in": 1001.3})),
        StatusCode::OK,
    )
    .await;
    let drafts = get(
        &app,
        &t,
        &format!(
            "{INVOICES}?source_type=booking&source_id={}",
            booking["id"].as_str().expect("id")
        ),
    )
    .await;
    let items = drafts["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{drafts}");
    let inv = get(
        &app,
        &t,
        &format!("{INVOICES}/{}", items[0]["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(
        (inv["status"].as_str(), inv["account_id"].as_str()),
        (Some("draft"), Some(account_id.as_str()))
    );
    let lines: Vec<(String, i64, i64)> = inv["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["description"].as_str().expect("d").to_owned(),
                l["quantity_milli"].as_i64().expect("q"),
                l["net_minor"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("C172 wet (member)".to_owned(), 1_600, 25_600),
            ("Flight instruction".to_owned(), 1_600, 11_200),
            ("Landing fee".to_owned(), 1_000, 1_500),
        ]
    );
    assert_eq!(inv["lines"][1]["instructor_id"], instructor_id.as_str());
    assert_eq!(inv["lines"][0]["aircraft_id"], plane["id"]);

    // Issued, the booking's flight is locked; the student owes it; with the balance rule
    // blocking, they cannot book.
    let inv_id = inv["id"].as_str().expect("id").to_owned();
    call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{inv_id}/issue")),
        StatusCode::OK,
    )
    .await;
    let flights = get(
        &app,
        &t,
        &format!(
            "/api/v1/flights?aircraft_id={}",
            plane["id"].as_str().expect("id")
        ),
    )
    .await;
    let flight = &flights["items"][0];
    assert_eq!(flight["invoice_id"], inv_id.as_str());
    assert!(flight["invoiced_at"].is_string());
    let flight_path = format!("/api/v1/flights/{}", flight["id"].as_str().expect("id"));
    problem(
        app.tenant_req(&t, Method::PATCH, &flight_path)
            .json(&json!({"remarks": "changed"})),
        StatusCode::CONFLICT,
        "flight-invoiced",
    )
    .await;
    call(
        app.tenant_req(
            &t,
            Method::PUT,
            "/api/v1/scheduling/dispatch-rules/account_balance",
        )
        .json(&json!({"mode": "block"})),
        StatusCode::OK,
    )
    .await;
    let blocked = problem(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({
            "kind": "dual", "aircraft_id": plane["id"], "instructor_id": instructor_id,
            "starts_at": slot(3, 8), "ends_at": slot(3, 10)})),
        StatusCode::CONFLICT,
        "dispatch-blocked",
    )
    .await;
    assert_eq!(blocked["errors"][0]["field"], "rules.account_balance");
    // A credit limit that covers it lets them book; so does paying.
    call(
        app.tenant_req(&t, Method::PATCH, &format!("{ACCOUNTS}/{account_id}"))
            .json(&json!({"credit_limit_minor": 38_300})),
        StatusCode::OK,
    )
    .await;
    call(
        app.tenant_req(&student, Method::POST, "/api/v1/scheduling/bookings")
            .json(&json!({
            "kind": "dual", "aircraft_id": plane["id"], "instructor_id": instructor_id,
            "starts_at": slot(3, 8), "ends_at": slot(3, 10)})),
        StatusCode::CREATED,
    )
    .await;
    // The invoice voided, the flight may change again.
    call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{inv_id}/void"))
            .json(&json!({"reason": "re-bill"})),
        StatusCode::OK,
    )
    .await;
    let f = call(
        app.tenant_req(&t, Method::PATCH, &flight_path)
            .json(&json!({"remarks": "changed"})),
        StatusCode::OK,
    )
    .await;
    assert!(f["invoiced_at"].is_null());
    app.assert_books_balance(&t).await;
}

#[tokio::test]
async fn invoice_pdf_and_the_customers_secret_link() {
    let app = TestApp::spawn().await;
    let t = app.signup("charter_operator").await;
    let account = call(
        app.tenant_req(&t, Method::POST, ACCOUNTS).json(&json!({
            "kind": "organization", "name": "Łódź <Air> Ambulance", "email": "billing@lodz.example",
            "currency": "EUR"})),
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let draft = call(
        app.tenant_req(&t, Method::POST, INVOICES).json(&json!({
            "account_id": account,
            "lines": [{"description": "Patient transfer EPWA-EDDB", "category": "charter",
                       "unit": "block_hour", "unit_price_minor": 450_000, "quantity_milli": 1_500}]
        })),
        StatusCode::CREATED,
    )
    .await;
    let id = draft["id"].as_str().expect("id").to_owned();
    problem(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/send")),
        StatusCode::CONFLICT,
        "invoice-not-issued",
    )
    .await;
    let resp = app
        .tenant_req(&t, Method::GET, &format!("{INVOICES}/{id}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.bytes().await.expect("body").starts_with(b"%PDF"));
    let issued = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/issue")),
        StatusCode::OK,
    )
    .await;
    let number = issued["number"].as_str().expect("number").to_owned();

    let sent = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/send")),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(sent["sent_to"], "billing@lodz.example");
    let url = sent["url"].as_str().expect("url");
    let path = &url[url.find("/api/v1/public/links/").expect("links path")..];
    // No header, no login: the secret URL is the credential.
    let page = app.req(Method::GET, path).send().await.expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.expect("html");
    assert!(html.contains(&number), "{html}");
    assert!(
        html.contains("Łódź &lt;Air&gt; Ambulance"),
        "escaped: {html}"
    );
    assert!(html.contains("6,750.00 EUR"), "{html}");
    let pdf = app
        .req(Method::GET, &format!("{path}/pdf"))
        .send()
        .await
        .expect("send");
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF"));
    assert!(
        audit_actions(&app, &t, "invoice")
            .await
            .contains(&"invoice.sent".to_owned())
    );

    // Sending again replaces the link; made-up and mangled links are 404.
    let again = call(
        app.tenant_req(&t, Method::POST, &format!("{INVOICES}/{id}/send")),
        StatusCode::ACCEPTED,
    )
    .await;
    let new_url = again["url"].as_str().expect("url");
    let new_path = &new_url[new_url.find("/api/v1/public/links/").expect("links path")..];
    problem(
        app.req(Method::GET, path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let mangled = format!("{}x", &new_path[..new_path.len() - 1]);
    problem(
        app.req(Method::GET, &mangled),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.req(Method::GET, "/api/v1/public/links/fll_inv_nothing"),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        app.req(Method::GET, new_path)
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::OK
    );
    // The module switched off: the link stops answering.
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/finance")
            .json(&json!({"enabled": false})),
        StatusCode::OK,
    )
    .await;
    problem(
        app.req(Method::GET, new_path),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    call(
        app.tenant_req(&t, Method::PUT, "/api/v1/settings/feature-flags/finance")
            .json(&json!({"enabled": true})),
        StatusCode::OK,
    )
    .await;

    // No address, no e-mail; another tenant cannot send or read it; a role without the
    // permissions cannot either.
    let bare = app.finance_account(&t, "No address").await;
    let other_inv = app.issued_invoice(&t, &bare, 1_000).await;
    problem(
        app.tenant_req(
            &t,
            Method::POST,
            &format!("{INVOICES}/{}/send", other_inv["id"].as_str().expect("id")),
        ),
        StatusCode::CONFLICT,
        "no-email",
    )
    .await;
    let other = app.signup("fbo").await;
    problem(
        app.tenant_req(&other, Method::POST, &format!("{INVOICES}/{id}/send")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.tenant_req(&other, Method::GET, &format!("{INVOICES}/{id}/pdf")),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let (_, pilot) = app.user_with_roles(&t, &["pilot"]).await;
    problem(
        app.tenant_req(&pilot, Method::POST, &format!("{INVOICES}/{id}/send")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.tenant_req(&pilot, Method::GET, &format!("{INVOICES}/{id}/pdf")),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}
