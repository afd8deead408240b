//! `/api/v1/certificates/...`: pilot certificates, medical certificates, endorsements. Who sees
//! what: a caller with `certificates.manage` or `certificates.endorse` (the school's admins and
//! instructors) sees everyone's; anyone else with `certificates.read` sees their own, and
//! another person's record answers `404` (a list filtered to another person, `403`).

mod endorsements;
mod medicals;
mod pilot;

pub use endorsements::EndorsementsApi;
pub use medicals::MedicalsApi;
pub use pilot::PilotCertificatesApi;

use super::{CERTIFICATES_ENDORSE, CERTIFICATES_MANAGE};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::kernel::UserId;

/// Whether the caller sees every person's certificates.
pub(super) fn sees_everyone(ctx: &TenantCtx) -> bool {
    ctx.has(CERTIFICATES_MANAGE) || ctx.has(CERTIFICATES_ENDORSE)
}

/// Whether the caller may see `person`'s records.
pub(super) fn may_see(ctx: &TenantCtx, person: UserId) -> bool {
    person == ctx.user_id || sees_everyone(ctx)
}

/// The person a list is filtered to: the one asked for (`403` if the caller may not see them),
/// or, for a caller who sees only their own, the caller.
pub(super) fn list_scope(ctx: &TenantCtx, asked: Option<UserId>) -> Result<Option<UserId>> {
    match asked {
        Some(p) if !may_see(ctx, p) => Err(AppError::Forbidden(
            "you may only see your own certificates".into(),
        )),
        Some(p) => Ok(Some(p)),
        None if sees_everyone(ctx) => Ok(None),
        None => Ok(Some(ctx.user_id)),
    }
}

/// The rating names a pilot certificate accepts (besides `type:<designator>`).
const RATINGS: &[&str] = &[
    "airplane_single_engine_land",
    "airplane_multi_engine_land",
    "airplane_single_engine_sea",
    "airplane_multi_engine_sea",
    "rotorcraft_helicopter",
    "rotorcraft_gyroplane",
    "glider",
    "lighter_than_air_airship",
    "lighter_than_air_balloon",
    "powered_lift",
    "powered_parachute",
    "weight_shift_control",
    "instrument_airplane",
    "instrument_helicopter",
    "instrument_powered_lift",
    "cfi_airplane_single_engine",
    "cfi_airplane_multi_engine",
    "cfi_instrument_airplane",
    "cfi_instrument_helicopter",
    "cfi_helicopter",
    "cfi_gyroplane",
    "cfi_glider",
    "cfi_sport",
];

/// Checks each rating: a known name or `type:` and a designator of 2 to 10 upper-case letters,
/// digits and `-` (type ratings such as `type:CE-525`); no rating twice.
pub(super) fn check_ratings(ratings: &[String]) -> Result<()> {
    for (i, r) in ratings.iter().enumerate() {
        let ok = RATINGS.contains(&r.as_str())
            || r.strip_prefix("type:").is_some_and(|t| {
                (2..=10).contains(&t.len())
                    && t.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            });
        if !ok {
            return Err(AppError::validation(
                format!("ratings[{i}]"),
                "is not a known rating (category and class such as airplane_single_engine_land, \
                 instrument_airplane, a cfi_ rating, or type:<designator>)",
            ));
        }
        if ratings[..i].contains(r) {
            return Err(AppError::validation(
                format!("ratings[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(())
}
