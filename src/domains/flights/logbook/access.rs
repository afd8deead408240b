//! Who may see and change which logbook: `flights.manage` every person's, `flights.read` only
//! the caller's own; a signed entry and one generated from a flight never change here.

use super::dto::{EntrySource, LogbookEntry};
use crate::auth::TenantCtx;
use crate::domains::flights::{FLIGHTS_MANAGE, FLIGHTS_READ};
use crate::error::{AppError, Result};
use crate::kernel::UserId;

/// The logbook the caller asks for: `person` or, absent, their own. Another person's needs
/// `flights.manage` (`403`).
pub fn person_for(ctx: &TenantCtx, person: Option<UserId>) -> Result<UserId> {
    ctx.require(FLIGHTS_READ)?;
    let person = person.unwrap_or(ctx.user_id);
    if person != ctx.user_id && !ctx.has(FLIGHTS_MANAGE) {
        return Err(AppError::Forbidden(
            "another person's logbook requires the `flights.manage` permission".into(),
        ));
    }
    Ok(person)
}

/// Whether the caller may read entry `e` (`403` otherwise).
pub fn may_read(ctx: &TenantCtx, e: &LogbookEntry) -> Result<()> {
    person_for(ctx, Some(e.person_id)).map(|_| ())
}

/// Whether the caller may change or delete entry `e`: theirs (or anyone's with
/// `flights.manage`), not signed, not generated from a flight.
pub fn may_edit(ctx: &TenantCtx, e: &LogbookEntry) -> Result<()> {
    may_read(ctx, e)?;
    if let Some(at) = e.signed_at {
        return Err(AppError::Conflict {
            code: "entry-signed",
            detail: format!(
                "the entry was signed by its instructor at {at}; a signed entry never changes"
            ),
            field: None,
        });
    }
    if e.source == EntrySource::Flight {
        return Err(AppError::Conflict {
            code: "entry-from-flight",
            detail: format!(
                "the entry was generated from flight {}: correct the flight instead",
                e.flight_id.map(|f| f.to_string()).unwrap_or_default()
            ),
            field: None,
        });
    }
    Ok(())
}

/// `404` unless `person` is a user of this tenant (the caller always is).
pub async fn ensure_person(
    ctx: &TenantCtx,
    conn: &mut sqlx::PgConnection,
    person: UserId,
) -> Result<()> {
    if person == ctx.user_id {
        return Ok(());
    }
    let exists: bool = sqlx::query_scalar("select exists(select 1 from users where id = $1)")
        .bind(person)
        .fetch_one(conn)
        .await?;
    if exists {
        Ok(())
    } else {
        Err(AppError::NotFound("person"))
    }
}
