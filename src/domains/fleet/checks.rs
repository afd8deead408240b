//! What an aircraft must pass beyond its schema, shared by create and update: the registration's
//! form, the codes, an aircraft type and a photo of this organisation.

use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::Aircraft;
use crate::error::{AppError, Checks, Result};

/// Upper case, 2 to 10 letters, digits or `-`, starting with a letter or digit.
pub fn normalize_registration(raw: &str) -> Option<String> {
    // The same rule as the pattern the OpenAPI document declares: no trimming.
    let reg = raw.to_ascii_uppercase();
    let ok = (2..=10).contains(&reg.len())
        && reg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !reg.starts_with('-');
    ok.then_some(reg)
}

fn valid_code(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Field checks the schema cannot express (shared by create and update).
pub(super) fn check_fields(c: &mut Checks, a: &Aircraft) {
    c.check(
        a.type_designator
            .as_deref()
            .is_none_or(|d| valid_code(d, 2..=4)),
        "type_designator",
        "must be 2 to 4 capital letters or digits (ICAO type designator)",
    );
    c.check(
        a.currency.len() == 3 && a.currency.chars().all(|c| c.is_ascii_uppercase()),
        "currency",
        "must be an ISO 4217 code such as \"CHF\"",
    );
    c.check(
        a.home_base.as_deref().is_none_or(|h| valid_code(h, 3..=4)),
        "home_base",
        "must be an ICAO or FAA location identifier such as \"LSZH\"",
    );
    c.check(
        a.equipment.iter().all(|e| {
            (1..=40).contains(&e.len())
                && e.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }),
        "equipment",
        "tags are 1 to 40 lower-case letters, digits or `_`",
    );
}

/// The aircraft type, which must exist in this organisation (422 otherwise).
pub(super) async fn aircraft_type(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<super::dto::AircraftType> {
    super::types::load_type(conn, id).await?.ok_or_else(|| {
        AppError::validation(
            "aircraft_type_id",
            "names no aircraft type of this organisation",
        )
    })
}

/// The photo must be an image attachment of this organisation (422 otherwise). Kept although
/// a foreign key answers an unknown id: it cannot say "an image".
pub(super) async fn check_photo(conn: &mut PgConnection, photo: Option<Uuid>) -> Result<()> {
    let Some(id) = photo else { return Ok(()) };
    let content_type: Option<String> =
        sqlx::query_scalar("select content_type from attachments where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    if content_type.is_some_and(|c| c.starts_with("image/")) {
        Ok(())
    } else {
        Err(AppError::validation(
            "photo_attachment_id",
            "names no image attachment of this organisation",
        ))
    }
}
