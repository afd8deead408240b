//! Database errors in one place: SQLSTATEs and constraint names become 409/422/503 answers,
//! everything else a logged 500.

use poem::http::StatusCode;

use super::{AppError, FieldError};

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
}
