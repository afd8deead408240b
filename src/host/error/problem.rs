//! Rendering: [`AppError`] and [`Problem`] as problem+json responses, and the error responses
//! every operation documents in the OpenAPI document.

use std::fmt;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;

use super::{AppError, FieldError, Problem, current_request_id};

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

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}
