//! `/api/v1/training/certificates`: completion certificates of a completed syllabus enrollment
//! or ground-school course, as an A4 PDF with a verification URL printed on it. The URL is a
//! public link (`crate::links`, kind `cert`): anyone opening it sees whether the certificate
//! is genuine and in force (holder, what was completed, when, by which organisation), and can
//! download the PDF. The URL is kept with the certificate because it is printed on it; it
//! shows nothing the certificate does not. Revoking keeps the certificate and makes its page
//! say so; another can then be issued for the same enrollment.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Certificate, CertificateCreate, CertificatePage, Revoke};
use super::{TRAINING_MANAGE, TRAINING_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::manifest::{LinkBody, LinkKind, LinkRequest, LinkView};
use crate::kernel::pdf::{self, FontMetrics, Op, PAGE_W, PT, Style};
use crate::kernel::{UserId, page};
use crate::mail::escape_html;
use crate::state::AppState;

/// The public verification link of a certificate.
pub const CERTIFICATE_LINK: LinkKind = LinkKind {
    key: "cert",
    flag: "training",
    render: render_boxed,
    pay: None,
    accept: None,
};

fn render_boxed(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> BoxFuture<'_, Result<Option<LinkBody>, sqlx::Error>> {
    Box::pin(render_link(conn, req))
}

pub struct CertificatesApi;

#[derive(ApiResponse)]
enum Issued {
    /// The certificate, with the verification URL printed on it.
    #[oai(status = 201)]
    Created(Json<Certificate>),
}

#[derive(ApiResponse)]
enum PdfFile {
    /// The certificate as a PDF (a revoked one is marked REVOKED).
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    training_enrollment_id: Option<Uuid>,
    theory_enrollment_id: Option<Uuid>,
    holder_name: String,
    title: String,
    completed_on: NaiveDate,
    issued_by: Option<Uuid>,
    issued_at: DateTime<Utc>,
    verification_url: String,
    revoked_at: Option<DateTime<Utc>>,
    revoke_reason: Option<String>,
}

impl From<Row> for Certificate {
    fn from(r: Row) -> Self {
        Certificate {
            id: r.id,
            user_id: UserId(r.user_id),
            training_enrollment_id: r.training_enrollment_id,
            theory_enrollment_id: r.theory_enrollment_id,
            holder_name: r.holder_name,
            title: r.title,
            completed_on: r.completed_on,
            issued_by: r.issued_by.map(UserId),
            issued_at: r.issued_at,
            verification_url: r.verification_url,
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason,
        }
    }
}

macro_rules! cert_select {
    () => {
        "select id, user_id, training_enrollment_id, theory_enrollment_id, holder_name, title, \
         completed_on, issued_by, issued_at, verification_url, revoked_at, revoke_reason \
         from completion_certificates"
    };
}

/// The certificate `id` as the caller may see it: staff any, the holder their own (else `404`).
async fn visible(
    ctx: &TenantCtx,
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Certificate> {
    let sql = if lock {
        concat!(cert_select!(), " where id = $1 for update")
    } else {
        concat!(cert_select!(), " where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.map(Certificate::from)
        .filter(|c| ctx.has(TRAINING_MANAGE) || c.user_id == ctx.user_id)
        .ok_or(AppError::NotFound("certificate"))
}

fn not_completed() -> AppError {
    AppError::Conflict {
        code: "not-completed",
        detail: "the enrollment is not completed".into(),
        field: None,
    }
}

/// The holder, what they completed and when, for a completed enrollment (`None`: no such
/// enrollment).
async fn completed(
    conn: &mut PgConnection,
    b: &CertificateCreate,
) -> Result<(Uuid, String, String, NaiveDate)> {
    let row: Option<(Uuid, String, String, Option<NaiveDate>)> =
        match (b.training_enrollment_id, b.theory_enrollment_id) {
            (Some(id), None) => {
                sqlx::query_as(
                    "select e.student_id, u.name, s.title, e.completed_on
                   from training_enrollments e join users u on u.id = e.student_id
                   join syllabi s on s.id = e.syllabus_id
                  where e.id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
            }
            (None, Some(id)) => {
                let tz = crate::domains::settings::service::timezone(&mut *conn).await?;
                sqlx::query_as(
                    "select e.student_id, u.name, c.title, (e.completed_at at time zone $2)::date
                   from theory_enrollments e join users u on u.id = e.student_id
                   join theory_courses c on c.id = e.course_id
                  where e.id = $1",
                )
                .bind(id)
                .bind(tz)
                .fetch_optional(&mut *conn)
                .await?
            }
            _ => {
                return Err(AppError::validation(
                    "training_enrollment_id",
                    "exactly one of training_enrollment_id and theory_enrollment_id is required",
                ));
            }
        };
    let field = if b.training_enrollment_id.is_some() {
        "training_enrollment_id"
    } else {
        "theory_enrollment_id"
    };
    let (user, name, title, done) =
        row.ok_or_else(|| AppError::validation(field, "names no enrollment of this organisation"))?;
    Ok((user, name, title, done.ok_or_else(not_completed)?))
}

/// Lays out the certificate: centred, one page.
fn layout(fm: &FontMetrics, c: &Certificate, issuer: &str) -> Vec<Vec<Op>> {
    let mut ops = Vec::new();
    let max_w = PAGE_W - 120 * PT;
    let mut centred = |y: i64, size: i64, text: &str, style: Style| {
        let text = fm.ellipsize(&pdf::clean(text, 300, false), size, max_w);
        let w = fm.width(&text, size);
        ops.push(Op::Text {
            x: (PAGE_W - w) / 2,
            y,
            size,
            text,
            style,
        });
    };
    centred(120 * PT, 16 * PT, issuer, Style::Bold);
    centred(200 * PT, 28 * PT, "Certificate of Completion", Style::Bold);
    centred(260 * PT, 12 * PT, "This certifies that", Style::Muted);
    centred(300 * PT, 24 * PT, &c.holder_name, Style::Bold);
    centred(340 * PT, 12 * PT, "has completed", Style::Muted);
    centred(380 * PT, 18 * PT, &c.title, Style::Bold);
    centred(
        420 * PT,
        12 * PT,
        &format!("on {}", c.completed_on.format("%-d %B %Y")),
        Style::Normal,
    );
    if let Some(at) = c.revoked_at {
        centred(
            480 * PT,
            20 * PT,
            &format!("REVOKED on {}", at.format("%Y-%m-%d")),
            Style::Alert,
        );
    }
    centred(
        700 * PT,
        9 * PT,
        &format!(
            "Certificate {} · issued {}",
            c.id,
            c.issued_at.format("%Y-%m-%d")
        ),
        Style::Muted,
    );
    centred(720 * PT, 9 * PT, "Verify it at", Style::Muted);
    centred(736 * PT, 8 * PT, &c.verification_url, Style::Link);
    let w = fm.width(&c.verification_url, 8 * PT).min(max_w);
    ops.push(Op::Link {
        x: (PAGE_W - w) / 2,
        y: 728 * PT,
        w,
        h: 11 * PT,
        uri: c.verification_url.clone(),
        label: "Verify this certificate".into(),
    });
    vec![ops]
}

fn pdf_of(c: &Certificate, issuer: &str) -> Vec<u8> {
    pdf::render(&format!("Certificate of Completion: {}", c.title), |fm| {
        layout(fm, c, issuer)
    })
}

fn file_name(c: &Certificate) -> String {
    format!("certificate-{}.pdf", c.id)
}

/// The verification page: genuine and in force, or revoked.
fn page(c: &Certificate, issuer: &str, token: &str) -> String {
    let status = match (c.revoked_at, &c.revoke_reason) {
        (Some(at), reason) => format!(
            "<p class=bad><strong>This certificate was revoked</strong> on {}{}.</p>",
            at.format("%Y-%m-%d"),
            reason
                .as_deref()
                .map(|r| format!(": {}", escape_html(r)))
                .unwrap_or_default()
        ),
        (None, _) => {
            "<p class=ok><strong>This certificate is genuine and in force.</strong></p>".to_owned()
        }
    };
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>Certificate verification</title><style>body{{font-family:sans-serif;max-width:40rem;\
         margin:2rem auto;padding:0 1rem}}.ok{{color:#1a6b2a}}.bad{{color:#b01919}}\
         dt{{font-weight:bold}}</style></head><body><h1>Certificate verification</h1>{status}\
         <dl><dt>Issued by</dt><dd>{issuer}</dd><dt>Holder</dt><dd>{holder}</dd>\
         <dt>Completed</dt><dd>{title}</dd><dt>On</dt><dd>{on}</dd>\
         <dt>Issued</dt><dd>{issued}</dd><dt>Certificate</dt><dd>{id}</dd></dl>\
         <p><a href=\"{token}/pdf\">Download the certificate (PDF)</a></p></body></html>",
        issuer = escape_html(issuer),
        holder = escape_html(&c.holder_name),
        title = escape_html(&c.title),
        on = c.completed_on,
        issued = c.issued_at.format("%Y-%m-%d"),
        id = c.id,
        token = escape_html(token),
    )
}

async fn render_link(
    conn: &mut PgConnection,
    req: LinkRequest,
) -> Result<Option<LinkBody>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(cert_select!(), " where token_hash = $1"))
        .bind(&req.digest)
        .fetch_optional(conn)
        .await?;
    let Some(c) = row.map(Certificate::from) else {
        return Ok(None);
    };
    Ok(Some(match req.view {
        LinkView::Page => LinkBody {
            content_type: "text/html; charset=utf-8",
            body: page(&c, &req.issuer, &req.token).into_bytes(),
            filename: None,
        },
        LinkView::Pdf => LinkBody {
            content_type: "application/pdf",
            body: pdf_of(&c, &req.issuer),
            filename: Some(file_name(&c)),
        },
    }))
}

#[OpenApi(
    prefix_path = "/api/v1/training/certificates",
    tag = "super::Tag::Achievements"
)]
impl CertificatesApi {
    /// Certificates, newest first: everyone's with `training.manage` (`user_id` narrows),
    /// else the caller's own (another person's is `404`).
    ///
    /// Permission: `training.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only this person's.
        user_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CertificatePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let only = match user_id.0 {
            Some(u) if u != ctx.user_id && !ctx.has(TRAINING_MANAGE) => {
                return Err(AppError::NotFound("user"));
            }
            Some(u) => Some(u),
            None if ctx.has(TRAINING_MANAGE) => None,
            None => Some(ctx.user_id),
        };
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            cert_select!(),
            " where id < $1 and ($2::uuid is null or user_id = $2) order by id desc limit $3"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(only.map(|u| u.0))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Certificate::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |c: &Certificate| c.id);
        Ok(Json(CertificatePage { items, next_cursor }))
    }

    /// Issue the completion certificate of a completed syllabus enrollment or ground-school
    /// course enrollment (exactly one id). `409 not-completed` before completion; `409
    /// certificate-exists` while one is in force for the enrollment. The holder's name and the
    /// title are printed as they are now.
    ///
    /// Permission: `training.manage`. Audited as `certificate.issued`.
    #[oai(path = "/", method = "post")]
    async fn issue(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        body: JsonBody<CertificateCreate>,
    ) -> Result<Issued> {
        if body.training_enrollment_id.is_some() == body.theory_enrollment_id.is_some() {
            return Err(AppError::validation(
                "training_enrollment_id",
                "exactly one of training_enrollment_id and theory_enrollment_id is required",
            ));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let (user, holder, title, done) = completed(&mut tx, &body).await?;
        let (url, digest) = crate::links::issue(&state, ctx.tenant.id, &CERTIFICATE_LINK);
        let id = Uuid::now_v7();
        let inserted = sqlx::query(
            "insert into completion_certificates
                 (id, user_id, training_enrollment_id, theory_enrollment_id, holder_name, title,
                  completed_on, issued_by, verification_url, token_hash)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing",
        )
        .bind(id)
        .bind(user)
        .bind(body.training_enrollment_id)
        .bind(body.theory_enrollment_id)
        .bind(&holder)
        .bind(&title)
        .bind(done)
        .bind(ctx.user_id)
        .bind(&url)
        .bind(&digest)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(AppError::Conflict {
                code: "certificate-exists",
                detail: "a certificate of this enrollment is in force; revoke it to issue another"
                    .into(),
                field: None,
            });
        }
        let c = visible(&ctx, &mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "certificate.issued",
            "certificate",
            id,
            &c,
        )
        .await?;
        tx.commit().await?;
        Ok(Issued::Created(Json(c)))
    }

    /// One certificate.
    ///
    /// Permission: `training.read` (another person's is `404`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Certificate>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let c = visible(&ctx, &mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(c))
    }

    /// The certificate as an A4 PDF: the organisation, the holder, what they completed and
    /// when, and the verification URL.
    ///
    /// Permission: `training.read` (another person's is `404`).
    #[oai(path = "/:id/pdf", method = "get")]
    async fn pdf(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<PdfFile> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let c = visible(&ctx, &mut tx, id.0, false).await?;
        tx.end_read();
        Ok(PdfFile::Ok(
            Binary(pdf_of(&c, &ctx.tenant.name)),
            format!("inline; filename=\"{}\"", file_name(&c)),
        ))
    }

    /// Revoke a certificate with the reason: its verification page says so from now on, and
    /// another can be issued for the enrollment. Twice is `409 already-revoked`.
    ///
    /// Permission: `training.manage`. Audited as `certificate.revoked`.
    #[oai(path = "/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<Revoke>,
    ) -> Result<Json<Certificate>> {
        if body.reason.trim().is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = visible(&ctx, &mut tx, id.0, true).await?;
        if before.revoked_at.is_some() {
            return Err(AppError::Conflict {
                code: "already-revoked",
                detail: "the certificate is revoked already".into(),
                field: None,
            });
        }
        sqlx::query(
            "update completion_certificates set revoked_at = now(), revoke_reason = $2 where id = $1",
        )
        .bind(id.0)
        .bind(body.reason.trim())
        .execute(&mut *tx)
        .await?;
        let after = visible(&ctx, &mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "certificate.revoked",
            "certificate",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::pdf::pdf_text;

    fn sample(revoked: bool) -> Certificate {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        Certificate {
            id: Uuid::nil(),
            user_id: UserId(Uuid::nil()),
            training_enrollment_id: None,
            theory_enrollment_id: Some(Uuid::nil()),
            holder_name: "Zoë Łukasiewicz".into(),
            title: "Private Pilot Ground School".into(),
            completed_on: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            issued_by: None,
            issued_at: at,
            verification_url: "https://app.example/api/v1/public/links/fll_cert_x".into(),
            revoked_at: revoked.then_some(at),
            revoke_reason: revoked.then(|| "issued in error".into()),
        }
    }

    #[test]
    fn the_pdf_prints_holder_course_date_and_where_to_verify() {
        let text = pdf_text(&pdf_of(&sample(false), "Alpine Flight School"));
        for needle in [
            "Alpine Flight School",
            "Certificate of Completion",
            "Zoë Łukasiewicz",
            "Private Pilot Ground School",
            "on 30 November 2026",
            "https://app.example/api/v1/public/links/fll_cert_x",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        assert!(!text.contains("REVOKED"));
        let text = pdf_text(&pdf_of(&sample(true), "Alpine Flight School"));
        assert!(text.contains("REVOKED on 2026-12-01"), "{text}");
    }

    #[test]
    fn the_page_escapes_and_says_whether_in_force() {
        let mut c = sample(false);
        c.holder_name = "<b>Bob</b>".into();
        let html = page(&c, "A & B Aviation", "fll_cert_x");
        assert!(html.contains("genuine and in force"));
        assert!(html.contains("&lt;b&gt;Bob&lt;/b&gt;"));
        assert!(html.contains("A &amp; B Aviation"));
        let html = page(&sample(true), "A", "t");
        assert!(html.contains("revoked</strong> on 2026-12-01: issued in error"));
    }
}
