//! One error type for the whole service, rendered as RFC 9457 problem+json (API.md §1).
//!
//! Handlers return [`Result`]; database constraint violations are mapped to 409/422 here and
//! nowhere else ([`AppError::from`] for `sqlx::Error`). A 5xx logs its cause once, with the
//! request id, and the client sees only a generic document.

use std::fmt;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde::Serialize;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

tokio::task_local! {
    /// The id of the request being served; set by the observability middleware.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Object)]
pub struct FieldError {
    /// The field (dotted path for nested objects).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects the field errors of one request so they are answered together as one 422.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
    }

    /// `422 validation-failed` listing every recorded error, if any.
    pub fn done(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Object)]
#[oai(rename = "Problem")]
pub struct Problem {
    /// `https://flightline.dev/problems/<code>`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable slug, e.g. `tenant-not-found`, `validation-failed`.
    pub code: String,
    /// One entry per invalid field (validation failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("authentication required")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    /// Any other fully described client-facing condition.
    #[error("{detail}")]
    Status {
        status: StatusCode,
        code: &'static str,
        detail: String,
        retry_after: Option<u64>,
    },
    /// A client-facing condition with per-field (or per-rule) details, e.g. a booking that
    /// dispatch rules block: `errors` names each cause.
    #[error("{detail}")]
    Detailed {
        status: StatusCode,
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("database error")]
    Db(#[source] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// `409 version-conflict` when the client sent the `version` it read and the row has moved
    /// on since (optimistic concurrency on every PATCH that takes a `version`).
    pub fn check_version(resource: &str, sent: Option<i32>, current: i32) -> Result<(), Self> {
        match sent {
            Some(v) if v != current => Err(Self::Conflict {
                code: "version-conflict",
                detail: format!("the {resource} changed meanwhile; it is now at version {current}"),
                field: None,
            }),
            _ => Ok(()),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn status(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Status {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Status { status, .. } | Self::Detailed { status, .. } => *status,
            Self::Db(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation-failed",
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Status { code, .. }
            | Self::Detailed { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::Db(_) | Self::Internal(_) => "internal",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Validation(errors) => format!("{} field(s) are invalid", errors.len()),
            Self::Unauthorized(why) => (*why).to_owned(),
            Self::Db(_) | Self::Internal(_) => "an unexpected error occurred".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(errors) => Some(errors.clone()),
            Self::Conflict {
                code: "conflict",
                field: Some(field),
                ..
            } => Some(vec![FieldError::new(field.clone(), "already exists")]),
            Self::Conflict {
                field: Some(field), ..
            } => Some(vec![FieldError::new(
                field.clone(),
                "overlaps an existing entry",
            )]),
            Self::Detailed { errors, .. } => Some(errors.clone()),
            _ => None,
        };
        problem(status, self.code(), detail, errors)
    }
}

/// Builds a problem document for `status`, stamped with the current request id.
pub fn problem(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
    errors: Option<Vec<FieldError>>,
) -> Problem {
    Problem {
        type_: format!("https://flightline.dev/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
        errors,
        request_id: current_request_id(),
    }
}

impl Problem {
    pub fn into_response_with(self, retry_after: Option<u64>) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = Response::builder()
            .status(status)
            .content_type("application/problem+json")
            .body(body);
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Db(e) = &self {
            tracing::error!(error = %e, "database error");
        }
        if let Self::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let retry_after = match &self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        self.to_problem().into_response_with(retry_after)
    }
}

impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        self.status_code()
    }

    fn as_response(&self) -> Response
    where
        Self: std::error::Error + Send + Sync + 'static,
    {
        if let Self::Db(e) = self {
            tracing::error!(error = %e, "database error");
        }
        if let Self::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let retry_after = match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        self.to_problem().into_response_with(retry_after)
    }
}

/// Documents the error responses every operation can produce, with the problem+json schema.
impl ApiResponse for AppError {
    fn meta() -> MetaResponses {
        let content = || {
            vec![MetaMediaType {
                content_type: "application/problem+json",
                schema: MetaSchemaRef::Reference(Problem::name().into_owned()),
            }]
        };
        let entries: [(u16, &'static str); 8] = [
            (
                400,
                "Malformed request or tenant header (`tenant-required`, `tenant-invalid`)",
            ),
            (401, "Missing or invalid credentials"),
            (403, "Permission missing or tenant suspended"),
            (404, "Unknown id in this tenant, or unknown tenant"),
            (409, "Conflict with the current state"),
            (422, "Validation failed; `errors` lists each field"),
            (
                429,
                "Rate limited (`rate-limited`); retry after `Retry-After` seconds",
            ),
            (
                503,
                "A dependency is briefly unavailable, or the server is busy (`busy`, \
                 `unavailable`, `tenant-provisioning`); retry after `Retry-After` seconds",
            ),
        ];
        let retry_after = || MetaHeader {
            name: "Retry-After".into(),
            description: Some("Seconds to wait before retrying.".into()),
            required: true,
            deprecated: false,
            schema: i64::schema_ref(),
        };
        MetaResponses {
            responses: entries
                .into_iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: content(),
                    headers: if matches!(status, 429 | 503) {
                        vec![retry_after()]
                    } else {
                        vec![]
                    },
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

/// Maps database errors in one place: unique → 409, exclusion → 409 `booking-conflict`, check /
/// foreign key / not-null → 422, everything else → 500 (logged, never shown).
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            let constraint = db.constraint().unwrap_or_default().to_owned();
            let field = constraint_field(db.table(), &constraint);
            match db.code().as_deref() {
                // An exclusion constraint (`<table>_<resource>_excl`): the resource is taken for
                // an overlapping time. The scheduling domain names the conflicting booking.
                Some("23P01") => {
                    return Self::Conflict {
                        code: "booking-conflict",
                        detail: format!(
                            "the {} is already booked for an overlapping time",
                            field.as_deref().unwrap_or("resource")
                        ),
                        field,
                    };
                }
                Some("23505") => {
                    return Self::Conflict {
                        code: "conflict",
                        detail: format!(
                            "{} already exists",
                            field.as_deref().unwrap_or("resource")
                        ),
                        field,
                    };
                }
                // A NUL character in text (`character_not_in_repertoire`): a query parameter or
                // path segment that no body check saw.
                // `untranslatable_character`: a `\u0000` escape inside a JSON value stored as
                // jsonb (a free-form object such as a setting's value or a user's preferences).
                Some("22P05") => {
                    return Self::Validation(vec![FieldError::new(
                        "body",
                        "must not contain a NUL character",
                    )]);
                }
                Some("22021") => {
                    return Self::Validation(vec![FieldError::new(
                        "query",
                        "must not contain a NUL character",
                    )]);
                }
                // A foreign key: the id names no row of this tenant (the tenant's rows are all
                // its schema holds).
                Some("23503") => {
                    let field = field.unwrap_or_else(|| "body".into());
                    return Self::Validation(vec![FieldError::new(
                        field,
                        "names no such record of this organisation",
                    )]);
                }
                Some("23514") | Some("23502") | Some("22001") => {
                    let field = field.unwrap_or_else(|| "body".into());
                    return Self::Validation(vec![FieldError::new(field, "is not valid")]);
                }
                _ => {}
            }
        }
        if matches!(err, sqlx::Error::RowNotFound) {
            return Self::NotFound("resource");
        }
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "unavailable",
                detail: "the database is briefly unavailable; retry in a moment".into(),
                retry_after: Some(1),
            };
        }
        Self::Db(err)
    }
}

/// The database could not be reached or went away mid-request (API.md §1: `503` with
/// `Retry-After`, never `500`): no connection within the acquire timeout, a broken connection,
/// or the server shutting down, crashing or not accepting connections yet (SQLSTATE classes
/// 08 and 57P).
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// Constraint names follow `<table>_<field>_<kind>` (`notes_title_check`, `users_email_key`,
/// `bookings_aircraft_excl`); the field is what sits between the table prefix and the suffix.
/// The table, when the server reports it, is stripped whole (table names contain underscores:
/// `inspection_items_interval_days_check`); otherwise up to the first underscore.
fn constraint_field(table: Option<&str>, name: &str) -> Option<String> {
    let stripped = ["_key", "_check", "_fkey", "_uniq", "_excl"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))?;
    let field = match table.and_then(|t| stripped.strip_prefix(t)?.strip_prefix('_')) {
        Some(field) => field,
        None => stripped.split_once('_')?.1,
    };
    (!field.is_empty()).then(|| field.to_owned())
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_map_to_fields() {
        assert_eq!(
            constraint_field(None, "users_email_key").as_deref(),
            Some("email")
        );
        assert_eq!(
            constraint_field(Some("notes"), "notes_title_check").as_deref(),
            Some("title")
        );
        assert_eq!(
            constraint_field(None, "tenants_slug_key").as_deref(),
            Some("slug")
        );
        assert_eq!(
            constraint_field(
                Some("inspection_items"),
                "inspection_items_interval_days_check"
            )
            .as_deref(),
            Some("interval_days")
        );
        assert_eq!(
            constraint_field(Some("bookings"), "bookings_aircraft_excl").as_deref(),
            Some("aircraft")
        );
        assert_eq!(constraint_field(None, "weird"), None);
    }

    #[test]
    fn server_errors_reveal_nothing() {
        let p = AppError::Internal(anyhow::anyhow!("SELECT secret FROM t_abc")).to_problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("SELECT"));
    }
}
