//! [`JsonBody`]: the JSON request payload of every operation.
//!
//! Not JSON at all → `400 malformed-json`. Valid JSON that does not fit the operation's schema
//! (missing field, wrong type, a value outside the declared limits) → `422 validation-failed`
//! with one entry per field. The field errors are derived from the same OpenAPI schema the
//! document publishes, so the contract and the checks cannot drift apart.

use std::ops::{Deref, DerefMut};

use poem::error::ReadBodyError;
use poem::http::{StatusCode, header};
use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

use crate::error::{AppError, FieldError};

/// A JSON request body.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for JsonBody<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type.parse::<mime::Mime>().is_ok_and(|m| {
            m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
        })
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = request
            .data::<std::sync::Arc<crate::state::AppState>>()
            .map(|s| s.settings.server.body_limit_bytes)
            .unwrap_or(1 << 20);
        let too_large = || {
            AppError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                format!("the body exceeds {limit} bytes"),
            )
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large().into());
        }
        let data = body
            .take()?
            .into_bytes_limit(limit)
            .await
            .map_err(|e| match e {
                ReadBodyError::PayloadTooLarge => poem::Error::from(too_large()),
                other => other.into(),
            })?;
        let value: Value = if data.is_empty() {
            return Err(
                AppError::bad_request("malformed-json", "the request body is empty").into(),
            );
        } else {
            serde_json::from_slice(&data).map_err(|e| {
                AppError::bad_request(
                    "malformed-json",
                    format!("the request body is not valid JSON: {e}"),
                )
            })?
        };
        // Strict JSON (API.md §1): poem-openapi would take `123` or `true` for a string, and a
        // NUL character would reach PostgreSQL (which refuses it in text) as a 500. Both are
        // field errors here. The schema walk runs only for bodies holding a number or a boolean.
        let mut strict = Vec::new();
        // JSON can carry a NUL only as the escape `\u0000`: walk (and build field paths) only
        // when the raw bytes hold one.
        if data.windows(6).any(|w| w == b"\\u0000") {
            nul_fields(&value, "", &mut strict);
        }
        if has_non_string_scalar(&value) {
            let mut registry = Registry::new();
            T::register(&mut registry);
            diagnose(&value, &T::schema_ref(), &registry, "", &mut strict);
        }
        if !strict.is_empty() {
            return Err(AppError::Validation(strict).into());
        }
        match T::parse_from_json(Some(value)) {
            Ok(v) => Ok(Self(v)),
            Err(err) => {
                // Only the error path needs the value again: parse the bytes once more rather
                // than copy every body on the way in.
                let value: Value = serde_json::from_slice(&data).unwrap_or_default();
                let mut registry = Registry::new();
                T::register(&mut registry);
                let mut errors = Vec::new();
                diagnose(&value, &T::schema_ref(), &registry, "", &mut errors);
                if errors.is_empty() {
                    errors.push(FieldError::new("body", err.into_message()));
                }
                Err(AppError::Validation(errors).into())
            }
        }
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: ParseFromJSON);

/// Every string value holding a NUL character, as a field error.
fn nul_fields(value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let field = |p: &str| {
        if p.is_empty() {
            "body".to_owned()
        } else {
            p.to_owned()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => {
            out.push(FieldError::new(
                field(path),
                "must not contain a NUL character",
            ));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(obj) => {
            // Values only: a property the operation does not know is ignored, whatever its name.
            for (k, v) in obj {
                nul_fields(v, &join(path, k), out);
            }
        }
        _ => {}
    }
}

/// Whether `s` matches a `pattern` validator of a DTO (the patterns are literals of this crate,
/// compiled once each).
fn pattern_matches(pattern: &str, s: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static COMPILED: LazyLock<Mutex<HashMap<String, Option<regex::Regex>>>> =
        LazyLock::new(Default::default);
    let mut cache = COMPILED.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .as_ref()
        .is_none_or(|re| re.is_match(s))
}

/// Whether a number or boolean appears anywhere (the only values a string field could take by
/// mistake).
fn has_non_string_scalar(value: &Value) -> bool {
    match value {
        Value::Number(_) | Value::Bool(_) => true,
        Value::Array(items) => items.iter().any(has_non_string_scalar),
        Value::Object(obj) => obj.values().any(has_non_string_scalar),
        _ => false,
    }
}

fn resolve<'a>(schema: &'a MetaSchemaRef, registry: &'a Registry) -> Option<&'a MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(s) => Some(s),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Walks `value` against `schema` and collects what does not fit, field by field.
fn diagnose(
    value: &Value,
    schema: &MetaSchemaRef,
    registry: &Registry,
    path: &str,
    out: &mut Vec<FieldError>,
) {
    let Some(schema) = resolve(schema, registry) else {
        return;
    };
    let at = |out: &mut Vec<FieldError>, msg: String| {
        out.push(FieldError::new(
            if path.is_empty() { "body" } else { path },
            msg,
        ))
    };
    if value.is_null() {
        return; // required-ness is judged by the parent object
    }
    if !schema.all_of.is_empty() {
        for part in &schema.all_of {
            diagnose(value, part, registry, path, out);
        }
        return;
    }
    match schema.ty {
        "object" => {
            let Some(obj) = value.as_object() else {
                return at(out, "must be an object".into());
            };
            for required in &schema.required {
                if obj.get(*required).is_none_or(Value::is_null) {
                    out.push(FieldError::new(join(path, required), "is required"));
                }
            }
            for (name, prop) in &schema.properties {
                if let Some(v) = obj.get(*name) {
                    diagnose(v, prop, registry, &join(path, name), out);
                }
            }
        }
        "string" => {
            let Some(s) = value.as_str() else {
                return at(out, "must be a string".into());
            };
            let len = s.chars().count();
            if let Some(min) = schema.min_length.filter(|m| len < *m) {
                return at(out, format!("must be at least {min} characters"));
            }
            if let Some(max) = schema.max_length.filter(|m| len > *m) {
                return at(out, format!("must be at most {max} characters"));
            }
            if let Some(pattern) = schema.pattern.as_deref()
                && !pattern_matches(pattern, s)
            {
                return at(out, format!("must match {pattern}"));
            }
            if !schema.enum_items.is_empty() && !schema.enum_items.contains(value) {
                let allowed: Vec<String> = schema
                    .enum_items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                return at(out, format!("must be one of: {}", allowed.join(", ")));
            }
            match schema.format {
                Some("uuid") if uuid::Uuid::parse_str(s).is_err() => {
                    at(out, "must be a UUID".into())
                }
                Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                    at(out, "must be an RFC 3339 date-time".into())
                }
                Some("email") if !s.contains('@') => at(out, "must be an e-mail address".into()),
                _ => {}
            }
        }
        "integer" | "number" => {
            let Some(n) = value.as_f64() else {
                return at(
                    out,
                    format!(
                        "must be {}",
                        if schema.ty == "integer" {
                            "an integer"
                        } else {
                            "a number"
                        }
                    ),
                );
            };
            if schema.ty == "integer" && !(value.is_i64() || value.is_u64()) {
                return at(out, "must be an integer".into());
            }
            if let Some(min) = schema.minimum.filter(|m| n < *m) {
                return at(out, format!("must be at least {min}"));
            }
            if let Some(max) = schema.maximum.filter(|m| n > *m) {
                at(out, format!("must be at most {max}"))
            }
        }
        "boolean" if !value.is_boolean() => at(out, "must be true or false".into()),
        "array" => {
            let Some(items) = value.as_array() else {
                return at(out, "must be an array".into());
            };
            if let Some(min) = schema.min_items.filter(|m| items.len() < *m) {
                return at(out, format!("must have at least {min} items"));
            }
            if let Some(max) = schema.max_items.filter(|m| items.len() > *m) {
                return at(out, format!("must have at most {max} items"));
            }
            if schema.unique_items == Some(true)
                && items
                    .iter()
                    .enumerate()
                    .any(|(i, a)| items[..i].contains(a))
            {
                return at(out, "must not repeat an item".into());
            }
            if let Some(item_schema) = &schema.items {
                for (i, item) in items.iter().enumerate() {
                    diagnose(item, item_schema, registry, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}
