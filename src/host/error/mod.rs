//! One error type for the whole service, rendered as RFC 9457 problem+json (API.md §1).
//!
//! Handlers return [`Result`]; database constraint violations are mapped to 409/422 here and
//! nowhere else ([`AppError::from`] for `sqlx::Error`). A 5xx logs its cause once, with the
//! request id, and the client sees only a generic document.

mod db;
mod problem;

use poem::http::StatusCode;
use poem_openapi::Object;
use serde::Serialize;

pub use problem::problem;

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

impl From<crate::kernel::page::InvalidCursor> for AppError {
    fn from(_: crate::kernel::page::InvalidCursor) -> Self {
        Self::validation("cursor", "is not a cursor from this API")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_reveal_nothing() {
        let p = AppError::Internal(anyhow::anyhow!("SELECT secret FROM t_abc")).to_problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("SELECT"));
    }
}
