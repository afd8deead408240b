//! `GET /api/v1/flights/logbook/export` and `POST /api/v1/flights/logbook/import`: a person's
//! logbook as CSV, in ForeFlight's logbook layout (`foreflight`) or Flightline's own columns
//! (`csv`). An import parses everything first: any invalid row answers `422` listing every
//! error by row and column and stores nothing; otherwise all rows go in one statement
//! (`insert.rs`), audited once as `logbook.imported`.

pub mod common;
pub mod foreflight;
pub mod foreflight_cells;
pub mod foreflight_parse;
pub mod insert;
pub mod plain;

use std::collections::HashMap;

use poem::Body;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Enum, Object, OpenApi};
use serde_json::json;

use super::access::{ensure_person, person_for};
use super::repo;
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::kernel::UserId;
use crate::kernel::units::wire;

/// A logbook CSV layout.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[oai(rename_all = "snake_case")]
pub enum CsvFormat {
    /// ForeFlight's logbook import template (times in decimal hours).
    Foreflight,
    /// Flightline's own columns (times in whole minutes).
    #[default]
    Csv,
}

#[derive(ApiResponse)]
enum CsvFile {
    /// The logbook, oldest entry first.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// A logbook CSV, at most 20 MB and 20,000 entries.
#[derive(ApiRequest)]
enum CsvUpload {
    #[oai(content_type = "text/csv")]
    Csv(Binary<Body>),
}

/// What an import stored.
#[derive(Object)]
pub struct LogbookImported {
    pub person_id: UserId,
    /// Entries added.
    pub imported: i64,
}

#[derive(ApiResponse)]
enum Imported {
    /// Every row was stored.
    #[oai(status = 201)]
    Created(Json<LogbookImported>),
}

pub struct LogbookCsvApi;

#[OpenApi(
    prefix_path = "/api/v1/flights/logbook",
    tag = "super::super::Tag::Flights"
)]
impl LogbookCsvApi {
    /// A person's whole logbook as CSV (`format`: `foreflight` or `csv`, default `csv`).
    /// `person_id` defaults to the caller.
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    #[oai(path = "/export", method = "get")]
    async fn export(
        &self,
        ctx: TenantCtx,
        person_id: Query<Option<UserId>>,
        format: Query<Option<CsvFormat>>,
    ) -> Result<CsvFile> {
        let person = person_for(&ctx, person_id.0)?;
        let format = format.0.unwrap_or_default();
        let mut tx = ctx.begin().await?;
        ensure_person(&ctx, &mut tx, person).await?;
        let entries = repo::all_of(&mut tx, person).await?;
        let bytes = match format {
            CsvFormat::Csv => plain::write(&entries).map_err(anyhow::Error::from)?,
            CsvFormat::Foreflight => {
                let ids: Vec<uuid::Uuid> = entries
                    .iter()
                    .filter_map(|e| e.instructor_id.map(|i| i.0))
                    .collect();
                let names: Vec<(UserId, String)> =
                    sqlx::query_as("select id, name from users where id = any($1)")
                        .bind(&ids)
                        .fetch_all(&mut *tx)
                        .await?;
                foreflight::write(&entries, &names.into_iter().collect::<HashMap<_, _>>())
            }
        };
        tx.end_read();
        let name = format!("attachment; filename=\"logbook-{}.csv\"", wire(&format));
        Ok(CsvFile::Ok(Binary(bytes), name))
    }

    /// Add entries to a person's logbook from CSV (`format`: `foreflight` or `csv`, default
    /// `csv`; at most 20 MB and 20,000 rows). Every row is checked first: any invalid row
    /// answers `422` with one error per row and column (`rows[<line>].<column>`) and nothing
    /// is stored; otherwise every row is stored (source `import`).
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    /// Audited once as `logbook.imported` with the count.
    #[oai(path = "/import", method = "post")]
    async fn import(
        &self,
        ctx: TenantCtx,
        person_id: Query<Option<UserId>>,
        format: Query<Option<CsvFormat>>,
        body: CsvUpload,
    ) -> Result<Imported> {
        let person = person_for(&ctx, person_id.0)?;
        let format = format.0.unwrap_or_default();
        let CsvUpload::Csv(Binary(body)) = body;
        let bytes = body
            .into_bytes_limit(common::MAX_BYTES)
            .await
            .map_err(|_| {
                AppError::status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    format!("an import takes at most {} bytes", common::MAX_BYTES),
                )
            })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| AppError::validation("body", "must be UTF-8 text"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let parsed = match format {
            CsvFormat::Csv => plain::parse(text, common::MAX_ROWS),
            CsvFormat::Foreflight => foreflight_parse::parse(text, common::MAX_ROWS),
        };
        let rows = parsed.map_err(|e| AppError::Detailed {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation-failed",
            detail: format!(
                "{} row error(s){}; nothing was imported",
                e.errors.len() + e.more,
                if e.more > 0 {
                    format!(", the first {} listed", e.errors.len())
                } else {
                    String::new()
                }
            ),
            errors: e.errors,
        })?;
        let mut tx = ctx.begin().await?;
        ensure_person(&ctx, &mut tx, person).await?;
        let n = insert::insert_all(&mut tx, person, &rows).await?;
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "logbook.imported",
                resource_type: "logbook",
                resource_id: Some(person.to_string()),
                before: None,
                after: Some(json!({"format": wire(&format), "imported": n})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Imported::Created(Json(LogbookImported {
            person_id: person,
            imported: n,
        })))
    }
}
