//! The settings Flightline itself reads, with their typed shape. Unknown keys are free-form.

use serde_json::Value;
use sqlx::PgConnection;

use crate::error::{AppError, FieldError};
use crate::kernel::registration;

/// Known keys and what they hold (shown in the OpenAPI description).
pub const KNOWN: &[(&str, &str)] = &[
    (
        "timezone",
        "IANA time zone of the organisation, e.g. \"Europe/Zurich\" or \"UTC\"",
    ),
    ("locale", "BCP 47 language tag, e.g. \"en-US\""),
    ("currency", "ISO 4217 code, e.g. \"CHF\""),
    (
        "units",
        "{distance: nm|km|mi, altitude: ft|m, weight: lb|kg, fuel: gal|l|lb|kg}",
    ),
    (
        "booking_rules",
        "{min_notice_minutes: 0.., max_advance_days: 1..730, cancellation_notice_hours: 0..}",
    ),
    (
        "invoice_numbering",
        "{prefix: up to 10 characters, next_number: 1.., padding: 1..12}",
    ),
    (
        "audit.retention_days",
        "days the audit log keeps a row, 30..3650 (unset: kept forever)",
    ),
    (
        "compliance.authority",
        "\"faa\" or \"easa\": whose medical rules the compliance engine applies (unset: faa)",
    ),
    (
        "training.required_skills",
        "\"warn\" or \"refuse\": whether enrolling a student who lacks a skill the syllabus, a lesson or the course requires goes ahead with the shortfall shown, or answers 409 skills-missing (unset: warn)",
    ),
    (
        "finance.overdue_grace_days",
        "days past its due date an invoice may be before dispatch's invoice_overdue rule speaks, 0..365 (unset: 0)",
    ),
    (
        "attachments.max_size_bytes",
        "largest attachment upload in bytes; the server's storage.max_upload_bytes caps it",
    ),
    (
        "auth.self_registration",
        "who may register at POST /api/v1/auth/register: \"off\" (unset: off), \"open\" or {domains: [\"school.example\", ...]} (1..50 domains, case-insensitive)",
    ),
    (
        "auth.self_registration_role",
        "the role a self-registered user gets (unset: \"student\"): an existing role other than admin whose permissions the writer holds",
    ),
];

/// The largest value `attachments.max_size_bytes` accepts (the server's ceiling applies too).
pub const MAX_ATTACHMENT_BYTES: i64 = 1 << 30;

/// Checks what only the database knows: a `timezone` must be one PostgreSQL recognises (it
/// computes calendar days with it); `auth.self_registration_role` must name a role of the
/// organisation whose every permission the writer `holds` (else anyone registering would get
/// what the writer cannot grant: `403`, as for assigning the role).
pub async fn validate_in_db(
    conn: &mut PgConnection,
    key: &str,
    value: &Value,
    holds: impl Fn(&str) -> bool,
) -> Result<(), AppError> {
    if key == registration::ROLE_SETTING {
        let name = registration::parse_role(value).map_err(|m| AppError::validation("value", m))?;
        let permissions: Option<Vec<String>> =
            sqlx::query_scalar("select permissions from roles where lower(name) = lower($1)")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(permissions) = permissions else {
            return Err(AppError::validation(
                "value",
                "names no role of this organisation",
            ));
        };
        if let Some(missing) = permissions.iter().find(|p| !holds(p)) {
            return Err(AppError::Forbidden(format!(
                "the role grants `{missing}`, which you do not hold"
            )));
        }
    }
    if key == "timezone" {
        let known: bool =
            sqlx::query_scalar("select exists(select 1 from pg_timezone_names where name = $1)")
                .bind(value.as_str().unwrap_or_default())
                .fetch_one(conn)
                .await?;
        if !known {
            return Err(AppError::validation(
                "value",
                "is not a time zone known to this server (IANA name such as \"Europe/Zurich\")",
            ));
        }
    }
    Ok(())
}

/// The value of setting `key` in the caller's tenant, if set.
pub async fn read(conn: &mut PgConnection, key: &str) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar("select value from settings where key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// The tenant's time zone (`timezone` setting), `UTC` when unset.
pub async fn timezone(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    Ok(read(conn, "timezone")
        .await?
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "UTC".into()))
}

fn err(field: &str, message: &str) -> Vec<FieldError> {
    vec![FieldError::new(field, message)]
}

fn one_of(
    obj: &serde_json::Map<String, Value>,
    field: &str,
    allowed: &[&str],
    out: &mut Vec<FieldError>,
) {
    match obj.get(field).and_then(Value::as_str) {
        Some(v) if allowed.contains(&v) => {}
        _ => out.push(FieldError::new(
            format!("value.{field}"),
            format!("must be one of: {}", allowed.join(", ")),
        )),
    }
}

fn int_in(
    obj: &serde_json::Map<String, Value>,
    field: &str,
    min: i64,
    max: i64,
    out: &mut Vec<FieldError>,
) {
    match obj.get(field).and_then(Value::as_i64) {
        Some(v) if (min..=max).contains(&v) => {}
        _ => out.push(FieldError::new(
            format!("value.{field}"),
            format!("must be an integer between {min} and {max}"),
        )),
    }
}

/// Checks the value of a known key; any value is accepted for other keys.
pub fn validate(key: &str, value: &Value) -> Result<(), Vec<FieldError>> {
    let mut out = Vec::new();
    match key {
        "compliance.authority" if !matches!(value.as_str(), Some("faa" | "easa")) => {
            return Err(err("value", "must be \"faa\" or \"easa\""));
        }
        "training.required_skills" if !matches!(value.as_str(), Some("warn" | "refuse")) => {
            return Err(err("value", "must be \"warn\" or \"refuse\""));
        }
        "timezone" => {
            let ok = value.as_str().is_some_and(|s| {
                s == "UTC"
                    || (s.len() <= 64
                        && s.contains('/')
                        && s.split('/').all(|p| {
                            !p.is_empty()
                                && p.chars()
                                    .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
                        }))
            });
            if !ok {
                return Err(err(
                    "value",
                    "must be an IANA time zone such as \"Europe/Zurich\"",
                ));
            }
        }
        "locale" => {
            let ok = value.as_str().is_some_and(|s| {
                let mut parts = s.split('-');
                let lang = parts.next().unwrap_or("");
                (2..=3).contains(&lang.len())
                    && lang.chars().all(|c| c.is_ascii_lowercase())
                    && parts.all(|p| {
                        (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
                    })
            });
            if !ok {
                return Err(err("value", "must be a BCP 47 tag such as \"en-US\""));
            }
        }
        "currency"
            if !value
                .as_str()
                .is_some_and(|s| s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())) =>
        {
            return Err(err("value", "must be an ISO 4217 code such as \"CHF\""));
        }
        "units" => {
            let Some(obj) = value.as_object() else {
                return Err(err("value", "must be an object"));
            };
            one_of(obj, "distance", &["nm", "km", "mi"], &mut out);
            one_of(obj, "altitude", &["ft", "m"], &mut out);
            one_of(obj, "weight", &["lb", "kg"], &mut out);
            one_of(obj, "fuel", &["gal", "l", "lb", "kg"], &mut out);
        }
        "booking_rules" => {
            let Some(obj) = value.as_object() else {
                return Err(err("value", "must be an object"));
            };
            int_in(obj, "min_notice_minutes", 0, 10_080, &mut out);
            int_in(obj, "max_advance_days", 1, 730, &mut out);
            int_in(obj, "cancellation_notice_hours", 0, 720, &mut out);
        }
        "invoice_numbering" => {
            let Some(obj) = value.as_object() else {
                return Err(err("value", "must be an object"));
            };
            if obj
                .get("prefix")
                .and_then(Value::as_str)
                .is_none_or(|p| p.chars().count() > 10)
            {
                out.push(FieldError::new(
                    "value.prefix",
                    "must be a string of at most 10 characters",
                ));
            }
            int_in(obj, "next_number", 1, i64::from(i32::MAX), &mut out);
            int_in(obj, "padding", 1, 12, &mut out);
        }
        "finance.overdue_grace_days" if !value.as_i64().is_some_and(|d| (0..=365).contains(&d)) => {
            return Err(err("value", "must be a number of days between 0 and 365"));
        }
        registration::SETTING => {
            if let Err(m) = registration::SelfRegistration::parse(Some(value)) {
                return Err(err("value", m));
            }
        }
        registration::ROLE_SETTING => {
            if let Err(m) = registration::parse_role(value) {
                return Err(err("value", m));
            }
        }
        "audit.retention_days" if !value.as_i64().is_some_and(|d| (30..=3650).contains(&d)) => {
            return Err(err("value", "must be a number of days between 30 and 3650"));
        }
        "attachments.max_size_bytes"
            if !value
                .as_i64()
                .is_some_and(|n| (1..=MAX_ATTACHMENT_BYTES).contains(&n)) =>
        {
            return Err(err(
                "value",
                "must be a number of bytes between 1 and 1073741824",
            ));
        }
        _ => {}
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_keys_are_typed() {
        assert!(validate("timezone", &json!("Europe/Zurich")).is_ok());
        assert!(validate("timezone", &json!("America/Argentina/Buenos_Aires")).is_ok());
        assert!(validate("timezone", &json!("Mars/Olympus Mons")).is_err());
        assert!(validate("currency", &json!("chf")).is_err());
        assert!(validate("locale", &json!("en-US")).is_ok());
        assert!(
            validate(
                "units",
                &json!({"distance": "nm", "altitude": "ft", "weight": "kg", "fuel": "l"})
            )
            .is_ok()
        );
        assert_eq!(
            validate("units", &json!({"distance": "parsec"})).map_err(|e| e.len()),
            Err(4)
        );
        assert!(validate("booking_rules", &json!({"min_notice_minutes": 60, "max_advance_days": 90, "cancellation_notice_hours": 24})).is_ok());
        assert!(validate("whatever", &json!([1, "x", null])).is_ok());
        assert!(validate("auth.self_registration", &json!("open")).is_ok());
        assert!(validate("auth.self_registration", &json!({"domains": ["a.example"]})).is_ok());
        assert!(validate("auth.self_registration", &json!("yes")).is_err());
        assert!(validate("auth.self_registration_role", &json!("student")).is_ok());
        assert!(validate("auth.self_registration_role", &json!("admin")).is_err());
    }
}
