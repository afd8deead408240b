//! The outermost middleware: request id, tracing span, metrics, and the mapping of every error
//! the framework raises (unknown route, wrong method, bad parameter, wrong content type, body
//! too large, missing credentials) to problem+json, so clients see one error shape everywhere.

use std::time::Instant;

use poem::PathPattern;
use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{AppError, REQUEST_ID, problem};

pub struct Observe;

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint { inner: ep }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
}

/// Accepts a client's id when it is short and plain; otherwise makes one.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string())
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let id = request_id(&req);
        let method = req.method().clone();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %method,
            // The route template (`/api/v1/public/calendars/:token`), recorded once routed; never
            // the raw path, which can be a credential (a calendar feed URL) or personal data.
            route = tracing::field::Empty,
            tenant.id = tracing::field::Empty,
            user.id = tracing::field::Empty,
        );
        let start = Instant::now();
        let (mut resp, route) = REQUEST_ID
            .scope(
                id.clone(),
                async {
                    match self.inner.call(req).await {
                        Ok(resp) => {
                            let resp = resp.into_response();
                            let route = resp.data::<PathPattern>().map(|p| p.0.to_string());
                            (resp, route)
                        }
                        Err(err) => {
                            let route = err.data::<PathPattern>().map(|p| p.0.to_string());
                            (map_error(err), route)
                        }
                    }
                }
                .instrument(span.clone()),
            )
            .await;
        let elapsed = start.elapsed();
        let status = resp.status();
        let route = route
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "unmatched".into());
        span.record("route", route.as_str());
        let labels = [
            ("method", method.to_string()),
            ("route", route),
            ("status", status.as_u16().to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        span.in_scope(|| {
            tracing::info!(
                status = status.as_u16(),
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "served"
            )
        });
        Ok(resp)
    }
}

/// Converts any error into a problem+json response.
fn map_error(err: poem::Error) -> Response {
    if err.is::<AppError>() {
        return err.into_response();
    }
    let status = err.status();
    let (status, code, detail, errors) = if err.is::<poem::error::NotFoundError>() {
        (
            StatusCode::NOT_FOUND,
            "not-found",
            "no such route".to_owned(),
            None,
        )
    } else if err.is::<poem::error::MethodNotAllowedError>() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "method not allowed on this route".into(),
            None,
        )
    } else if err.is::<ParsePathError>() {
        // A path id that does not parse names nothing in this tenant (API.md §6).
        (
            StatusCode::NOT_FOUND,
            "not-found",
            "resource not found".into(),
            None,
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        // The reason is the parser's (`Limit`: "must be between 1 and 200"), never the value.
        let errors = vec![crate::error::FieldError::new(e.name, e.reason.clone())];
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "1 field(s) are invalid".into(),
            Some(errors),
        )
    } else if err.is::<ParseRequestPayloadError>() {
        (
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "the request body is not valid".into(),
            None,
        )
    } else if err.is::<ContentTypeError>() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "this operation does not take that Content-Type: JSON operations take application/json, uploads multipart/form-data".into(),
            None,
        )
    } else if err.is::<AuthorizationError>() {
        (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required".into(),
            None,
        )
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            status,
            "payload-too-large",
            "the request body is too large".into(),
            None,
        )
    } else if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        (
            status,
            "internal",
            "an unexpected error occurred".into(),
            None,
        )
    } else {
        let code = match status {
            StatusCode::BAD_REQUEST => "bad-request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            _ => "error",
        };
        (status, code, err.to_string(), None)
    };
    problem(status, code, detail, errors).into_response_with(None)
}
