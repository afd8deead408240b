//! A quote goes to its customer: `POST /api/v1/charter/quotes/{id}/send` e-mails a secret link
//! (`crate::links`, kind `qte`) to the quote's page and PDF, where the customer accepts it
//! online. Accepting records when, from which address and by whom, and makes the quote's trip
//! in the same transaction: exactly one, however often or concurrently it is accepted (the
//! quote row is locked, and `charter_trips.quote_id` is unique).

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use futures_util::future::BoxFuture;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Quote, QuoteSent, QuoteStatus, TripStatus};
use super::print::Pages;
use super::trips::{self, NewLeg};
use super::{CHARTER_QUOTE, quotes};
use crate::audit::{self, Actor, Change, RequestMeta};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::contacts::service as contacts;
use crate::domains::finance::service::format_money;
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::kernel::manifest::{
    LinkAcceptance, LinkAccepted, LinkBody, LinkKind, LinkRequest, LinkView,
};
use crate::kernel::pdf::{self, FontMetrics, Op, PT, Picture, Style};
use crate::kernel::units::wire;
use crate::mail::{self, Email, escape_html};
use crate::state::AppState;

/// The customer's link to a sent quote: its page with the accept form, and its PDF.
pub const QUOTE_LINK: LinkKind = LinkKind {
    key: "qte",
    flag: "charter",
    render: render_boxed,
    pay: None,
    accept: Some(accept_boxed),
};

fn render_boxed(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> BoxFuture<'_, std::result::Result<Option<LinkBody>, sqlx::Error>> {
    Box::pin(render_link(conn, req))
}

fn accept_boxed(
    conn: &mut PgConnection,
    a: LinkAcceptance,
) -> BoxFuture<'_, std::result::Result<LinkAccepted, sqlx::Error>> {
    Box::pin(accept_link(conn, a))
}

/// An error of the domain's own functions, as a link renderer returns it.
fn as_sqlx(e: AppError) -> sqlx::Error {
    match e {
        AppError::Db(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// The quote behind a link digest (sent, accepted or closed; never a draft, so revising a sent
/// quote retires its link until it is sent again).
async fn linked(
    conn: &mut PgConnection,
    digest: &[u8],
    lock: bool,
) -> std::result::Result<Option<Quote>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "select id from charter_quotes where public_token_hash = $1 and status <> 'draft'",
    )
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    quotes::load(conn, id, lock)
        .await
        .map(Some)
        .map_err(as_sqlx)
}

/// Past its last valid day (UTC).
fn expired(q: &Quote, today: NaiveDate) -> bool {
    q.valid_until.is_some_and(|d| d < today)
}

/// The legs of the trip an accepted quote makes: every leg as priced (positioning included),
/// the arrival FBO of each asked leg the one priced (as requested, else the first one there),
/// each departure FBO the arrival FBO of the leg before.
async fn trip_legs(conn: &mut PgConnection, q: &Quote) -> Result<Vec<NewLeg>> {
    let mut asked = q.request.legs.iter().peekable();
    let mut legs: Vec<NewLeg> = Vec::with_capacity(q.pricing.legs.len());
    let codes: Vec<&str> = q
        .pricing
        .legs
        .iter()
        .flat_map(|l| [l.from.as_str(), l.to.as_str()])
        .collect();
    let found = airports::by_codes(conn, &codes).await?;
    let zone = |code: &str| {
        found
            .get(code)
            .map_or_else(|| "UTC".to_owned(), |a| a.time_zone.clone())
    };
    for l in &q.pricing.legs {
        // The FBO the price has the fees of: the one asked for, else the first one there.
        let to_fbo_id = match (l.positioning, asked.next_if(|_| !l.positioning)) {
            (false, Some(a)) if a.fbo_id.is_some() => a.fbo_id,
            (false, Some(_)) => contacts::fbos_at(conn, &l.to).await?.into_iter().next(),
            _ => None,
        };
        legs.push(NewLeg {
            aircraft_id: q.aircraft_id,
            from: l.from.clone(),
            to: l.to.clone(),
            from_tz: zone(&l.from),
            to_tz: zone(&l.to),
            positioning: l.positioning,
            departs_at: l.departs_at,
            arrives_at: l.arrives_at,
            from_fbo_id: legs.last().and_then(|p| p.to_fbo_id),
            to_fbo_id,
            passengers: l.passengers,
            fuel_uplift_kg: None,
            notes: None,
        });
    }
    Ok(legs)
}

/// Accepts the linked quote: once. A second acceptance finds it accepted and changes nothing.
async fn accept_link(
    conn: &mut PgConnection,
    a: LinkAcceptance,
) -> std::result::Result<LinkAccepted, sqlx::Error> {
    let Some(q) = linked(conn, &a.digest, true).await? else {
        return Ok(LinkAccepted::NoLink);
    };
    match q.status {
        QuoteStatus::Accepted => return Ok(LinkAccepted::Accepted),
        QuoteStatus::Sent => {}
        other => {
            return Ok(LinkAccepted::Refused {
                code: "quote-closed",
                detail: format!("quote {} is {}", q.number, wire(&other)),
            });
        }
    }
    if expired(&q, a.at.date_naive()) {
        return Ok(LinkAccepted::Refused {
            code: "quote-expired",
            detail: format!(
                "quote {} was valid until {}; ask for a new one",
                q.number,
                q.valid_until.map(|d| d.to_string()).unwrap_or_default()
            ),
        });
    }
    let made = async {
        let legs = trip_legs(conn, &q).await?;
        let trip = trips::insert(
            conn,
            Some(q.id),
            Some(q.customer_id),
            TripStatus::Scheduled,
            &legs,
            q.notes.as_deref(),
            None,
        )
        .await?;
        sqlx::query(
            "update charter_quotes set status = 'accepted', accepted_at = $2, accepted_from = $3,
                 accepted_name = $4, accepted_version = current_version, version = version + 1
             where id = $1",
        )
        .bind(q.id)
        .bind(a.at)
        .bind(&a.address)
        .bind(&a.name)
        .execute(&mut *conn)
        .await?;
        Ok::<Uuid, AppError>(trip)
    }
    .await;
    let trip = match made {
        Ok(trip) => trip,
        // The aircraft is no longer free, or another refusal: nothing is kept.
        Err(AppError::Conflict { code, detail, .. }) => {
            return Ok(LinkAccepted::Refused { code, detail });
        }
        Err(e) => return Err(as_sqlx(e)),
    };
    let meta = RequestMeta {
        request_id: crate::error::current_request_id(),
        ip: a.address.clone(),
        user_agent: None,
    };
    audit::record(
        conn,
        Actor {
            id: None,
            kind: "system",
            meta: &meta,
        },
        Change {
            action: "charter_quote.accepted",
            resource_type: "charter_quote",
            resource_id: Some(q.id.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "accepted_name": a.name,
                "accepted_from": a.address,
                "accepted_at": a.at,
                "accepted_version": q.current_version,
                "trip_id": trip,
            })),
        },
    )
    .await?;
    Ok(LinkAccepted::Accepted)
}

async fn render_link(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> std::result::Result<Option<LinkBody>, sqlx::Error> {
    let Some(q) = linked(conn, &req.digest, false).await? else {
        return Ok(None);
    };
    let customer = contacts::contact(conn, q.customer_id)
        .await
        .map_err(as_sqlx)?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(Some(match req.view {
        LinkView::Page => LinkBody {
            content_type: "text/html; charset=utf-8",
            body: page(&q, &req.issuer, &customer, &req.token).into_bytes(),
            filename: None,
        },
        LinkView::Pdf => LinkBody {
            content_type: "application/pdf",
            body: pdf_of(
                &q,
                &req.issuer,
                &customer,
                settings::logo(conn).await.map_err(as_sqlx)?.as_ref(),
            ),
            filename: Some(format!("quote-{}.pdf", q.number)),
        },
    }))
}

/// The customer's page: the legs and the price, and the accept form while it can be accepted.
/// Every text is escaped.
fn page(q: &Quote, issuer: &str, customer: &str, token: &str) -> String {
    let today = Utc::now().date_naive();
    let state = match (&q.status, &q.acceptance) {
        (QuoteStatus::Accepted, Some(a)) => format!(
            "<p class=ok><strong>Accepted</strong> by {} on {} UTC. Thank you: your trip is \
             scheduled.</p>",
            escape_html(&a.accepted_name),
            a.accepted_at.format("%Y-%m-%d %H:%M")
        ),
        (QuoteStatus::Sent, _) if expired(q, today) => {
            "<p class=bad>This quote has expired; ask us for a new one.</p>".to_owned()
        }
        (QuoteStatus::Sent, _) => format!(
            "<form method=post action=\"{token}/accept\"><p><label>Your name \
             <input name=name required maxlength=200 autocomplete=name></label></p>\
             <p><button type=submit>Accept this quote</button></p></form>",
            token = escape_html(token)
        ),
        (other, _) => format!("<p class=bad>This quote is {}.</p>", wire(other)),
    };
    let legs: String = q
        .pricing
        .legs
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&l.from),
                escape_html(&l.to),
                escape_html(&l.departs_local),
                escape_html(&l.arrives_local),
                if l.positioning {
                    "positioning".to_owned()
                } else {
                    l.passengers.to_string()
                },
                l.block_minutes
            )
        })
        .collect();
    let lines: String = q
        .pricing
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td class=n>{}</td></tr>",
                escape_html(&l.description),
                escape_html(&format_money(l.amount_minor, &q.currency))
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>Quote {number}</title><style>body{{font-family:sans-serif;max-width:48rem;\
         margin:2rem auto;padding:0 1rem}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}}.n{{text-align:right}}\
         .ok{{color:#1a6b2a}}.bad{{color:#b01919}}</style></head><body>\
         <h1>Quote {number}</h1><p>From {issuer} for {customer}{valid}</p>{state}\
         <h2>Flights</h2><table><tr><th>From</th><th>To</th><th>Departs (local)</th>\
         <th>Arrives (local)</th><th>Passengers</th><th>Block minutes</th></tr>{legs}</table>\
         <h2>Price</h2><table>{lines}<tr><th>Total</th><th class=n>{total}</th></tr></table>\
         <p><a href=\"{token}/pdf\">Download the quote (PDF)</a></p></body></html>",
        number = escape_html(&q.number),
        issuer = escape_html(issuer),
        customer = escape_html(customer),
        valid = q
            .valid_until
            .map(|d| format!(", valid until {d}"))
            .unwrap_or_default(),
        total = escape_html(&format_money(q.total_minor, &q.currency)),
        token = escape_html(token),
    )
}

/// The quote as a PDF: the tenant's name, the customer, the legs, the price lines and total.
pub fn pdf_of(q: &Quote, issuer: &str, customer: &str, logo: Option<&Picture>) -> Vec<u8> {
    pdf::render(&format!("Quote {}", q.number), |fm| {
        layout(fm, q, issuer, customer, logo)
    })
}

fn layout(
    fm: &FontMetrics,
    q: &Quote,
    issuer: &str,
    customer: &str,
    logo: Option<&Picture>,
) -> Vec<Vec<Op>> {
    let mut p = Pages::new(fm);
    let left = Pages::LEFT;
    p.issuer(issuer, logo, 16 * PT);
    p.down(26 * PT);
    p.text(left, &format!("Quote {}", q.number), 20 * PT, Style::Bold);
    p.down(20 * PT);
    let valid = q
        .valid_until
        .map(|d| format!(" · valid until {d}"))
        .unwrap_or_default();
    p.text(
        left,
        &format!("For {customer}{valid}"),
        10 * PT,
        Style::Normal,
    );
    p.down(28 * PT);
    p.text(left, "Flights", 12 * PT, Style::Bold);
    for l in &q.pricing.legs {
        p.down(16 * PT);
        let who = if l.positioning {
            "positioning".to_owned()
        } else {
            format!("{} passengers", l.passengers)
        };
        p.text(
            left,
            &format!(
                "{} → {}   departs {} local, arrives {} local   {who}   {} min",
                l.from, l.to, l.departs_local, l.arrives_local, l.block_minutes
            ),
            9 * PT,
            Style::Normal,
        );
    }
    p.down(28 * PT);
    p.text(left, "Price", 12 * PT, Style::Bold);
    for l in &q.pricing.lines {
        p.down(16 * PT);
        p.text(left, &l.description, 9 * PT, Style::Normal);
        p.text(
            Pages::AMOUNT,
            &format_money(l.amount_minor, &q.currency),
            9 * PT,
            Style::Normal,
        );
    }
    p.down(20 * PT);
    p.text(left, "Total", 11 * PT, Style::Bold);
    p.text(
        Pages::AMOUNT,
        &format_money(q.total_minor, &q.currency),
        11 * PT,
        Style::Bold,
    );
    for w in &q.pricing.warnings {
        p.down(16 * PT);
        p.text(left, w, 8 * PT, Style::Muted);
    }
    p.pages
}

#[derive(ApiResponse)]
enum Sent {
    /// The e-mail is queued (sent when the transaction commits, retried on SMTP failure).
    #[oai(status = 202)]
    Accepted(Json<QuoteSent>),
}

pub struct QuoteSendApi;

#[OpenApi(
    prefix_path = "/api/v1/charter/quotes",
    tag = "super::Tag::CharterQuotes"
)]
impl QuoteSendApi {
    /// E-mail the quote's current version to its customer with a secret link to its page and
    /// PDF, where the customer accepts it online (the name they type, the time and their
    /// address are recorded, and the quote becomes a scheduled trip: once, however often it is
    /// accepted). The quote becomes `sent`; sending again replaces the link; revising it retires
    /// the link until it is sent again. `409 quote-closed` once accepted, declined or expired;
    /// `409 quote-expired` past `valid_until`; `409 no-email` when the customer has no e-mail
    /// address.
    ///
    /// Permission: `charter.quote`. Audited as `charter_quote.sent`.
    #[oai(path = "/:id/send", method = "post")]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Sent> {
        ctx.require(CHARTER_QUOTE)?;
        let mut tx = ctx.begin().await?;
        let q = quotes::load(&mut tx, id.0, true).await?;
        if !matches!(q.status, QuoteStatus::Draft | QuoteStatus::Sent) {
            return Err(AppError::Conflict {
                code: "quote-closed",
                detail: format!("quote {} is {}", q.number, wire(&q.status)),
                field: None,
            });
        }
        if expired(&q, Utc::now().date_naive()) {
            return Err(AppError::Conflict {
                code: "quote-expired",
                detail: format!("quote {} is past its valid_until: revise it", q.number),
                field: None,
            });
        }
        let customer = contacts::contact(&mut tx, q.customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let Some(to) = customer.email.clone().filter(|e| e.contains('@')) else {
            return Err(AppError::Conflict {
                code: "no-email",
                detail: "the customer has no e-mail address".into(),
                field: None,
            });
        };
        let (url, digest) = crate::links::issue(&state, ctx.tenant.id, &QUOTE_LINK);
        sqlx::query(
            "update charter_quotes set status = 'sent', public_token_hash = $2, sent_at = now(),
                 sent_to = $3, version = version + 1
             where id = $1",
        )
        .bind(q.id)
        .bind(&digest)
        .bind(&to)
        .execute(&mut *tx)
        .await?;
        let org = &ctx.tenant.name;
        let total = format_money(q.total_minor, &q.currency);
        mail::enqueue(
            &mut tx,
            &Email {
                to: to.clone(),
                subject: format!("{org}: quote {}", q.number),
                text: format!(
                    "Hello {name},\n\n{org} sent you quote {number}. Total: {total}.\n\n\
                     View it, download the PDF and accept it online: {url}\n\n-- Flightline\n",
                    name = customer.name,
                    number = q.number,
                ),
                html: format!(
                    "<!doctype html><html><body style=\"font-family:sans-serif\">\
                     <p>Hello {name},</p><p>{org} sent you quote {number}. Total: {total}.</p>\
                     <p><a href=\"{url}\">View it, download the PDF and accept it online</a></p>\
                     <p>&mdash; Flightline</p></body></html>",
                    name = escape_html(&customer.name),
                    org = escape_html(org),
                    number = escape_html(&q.number),
                    total = escape_html(&total),
                    url = escape_html(&url),
                ),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_quote.sent",
                resource_type: "charter_quote",
                resource_id: Some(q.id.to_string()),
                before: None,
                after: Some(serde_json::json!({"sent_to": to, "version": q.current_version})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Sent::Accepted(Json(QuoteSent {
            quote_id: q.id,
            sent_to: to,
            url,
        })))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::dto::{QuoteLeg, QuoteLegRequest, QuoteLine, QuotePricing, QuoteRequest};
    use super::*;
    use crate::kernel::pdf::pdf_text;

    fn quote() -> Quote {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 24, 14, 0, 0)
            .single()
            .expect("time");
        Quote {
            id: Uuid::nil(),
            number: "Q-2026-0007".into(),
            customer_id: Uuid::nil(),
            aircraft_id: Uuid::nil(),
            status: QuoteStatus::Sent,
            current_version: 2,
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 20),
            currency: "USD".into(),
            total_minor: 2_345_678,
            notes: None,
            request: QuoteRequest {
                customer_id: Uuid::nil(),
                aircraft_id: Uuid::nil(),
                legs: vec![QuoteLegRequest {
                    from: "KHPN".into(),
                    to: "KASE".into(),
                    departs_at: at,
                    passengers: 4,
                    catering: false,
                    fbo_id: None,
                }],
                valid_until: None,
                notes: None,
            },
            pricing: QuotePricing {
                currency: "USD".into(),
                legs: vec![QuoteLeg {
                    from: "KHPN".into(),
                    to: "KASE".into(),
                    positioning: false,
                    departs_at: at,
                    arrives_at: at + chrono::Duration::minutes(280),
                    departs_local: "2026-12-24T09:00".into(),
                    arrives_local: "2026-12-24T11:40".into(),
                    distance_nm: 1_548.2,
                    block_minutes: 280,
                    passengers: 4,
                }],
                lines: vec![QuoteLine {
                    kind: "flight".into(),
                    description: "Flight KHPN–KASE, 4:40 block".into(),
                    amount_minor: 2_100_000,
                }],
                subtotal_minor: 2_100_000,
                tax_minor: 245_678,
                total_minor: 2_345_678,
                warnings: vec!["no FBO fees known at KASE".into()],
            },
            sent_at: None,
            sent_to: None,
            acceptance: None,
            version: 3,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn the_quote_pdf_reads_as_the_quote() {
        let text = pdf_text(&pdf_of(&quote(), "Alpine <Jets>", "Acme & Co", None));
        for needle in [
            "Alpine <Jets>",
            "Quote Q-2026-0007",
            "For Acme & Co · valid until 2026-12-20",
            "KHPN → KASE",
            "departs 2026-12-24T09:00 local",
            "4 passengers",
            "21,000.00 USD",
            "23,456.78 USD",
            "no FBO fees known at KASE",
        ] {
            assert!(text.contains(needle), "{needle:?} in {text}");
        }
    }

    #[test]
    fn the_page_escapes_and_offers_acceptance_only_while_open() {
        let mut q = quote();
        q.valid_until = None;
        let html = page(&q, "Alpine <Jets>", "Acme & Co", "fll_qte_x");
        assert!(html.contains("Alpine &lt;Jets&gt;") && html.contains("Acme &amp; Co"));
        assert!(html.contains("action=\"fll_qte_x/accept\""));
        q.valid_until = NaiveDate::from_ymd_opt(2000, 1, 1);
        let html = page(&q, "A", "B", "t");
        assert!(html.contains("expired") && !html.contains("/accept"));
        q.status = QuoteStatus::Declined;
        assert!(page(&q, "A", "B", "t").contains("This quote is declined"));
    }
}
