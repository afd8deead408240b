//! What other domains ask of contacts: a customer's name and finance account, and the fees an
//! FBO or handler charges for an aircraft type (charter quotes price landing and handling with
//! them).

use sqlx::PgConnection;
use uuid::Uuid;

pub use super::dto::FeeKind;
use crate::error::Result;
use crate::kernel::units::wire;

/// A contact as another domain names it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRef {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub finance_account_id: Option<Uuid>,
    pub active: bool,
    /// Has the role `customer`.
    pub is_customer: bool,
}

/// Contact `id`, if the organisation has it.
pub async fn contact(conn: &mut PgConnection, id: Uuid) -> Result<Option<ContactRef>> {
    Ok(sqlx::query_as(
        "select id, name, email, finance_account_id, active, 'customer' = any(roles) as is_customer
           from contacts where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The fees of kind `kinds` an FBO or handler charges an aircraft of type `aircraft_type`:
/// the fee for that type where listed, else the general one. `None` without a profile.
pub async fn fees(
    conn: &mut PgConnection,
    fbo: Uuid,
    aircraft_type: &str,
    kinds: &[FeeKind],
) -> Result<Option<(String, Vec<(FeeKind, i64)>)>> {
    let currency: Option<String> =
        sqlx::query_scalar("select currency from contact_fbo_profiles where contact_id = $1")
            .bind(fbo)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(currency) = currency else {
        return Ok(None);
    };
    let wanted: Vec<String> = kinds.iter().map(wire).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select distinct on (kind) kind, amount_minor from contact_fees
          where contact_id = $1 and kind = any($2) and aircraft_type in ('', $3)
          order by kind, aircraft_type desc",
    )
    .bind(fbo)
    .bind(&wanted)
    .bind(aircraft_type)
    .fetch_all(&mut *conn)
    .await?;
    let fees = rows
        .into_iter()
        .filter_map(|(k, a)| FeeKind::try_from(k).ok().map(|k| (k, a)))
        .collect();
    Ok(Some((currency, fees)))
}

/// The active FBOs and handlers at `airport` with a profile, by name.
pub async fn fbos_at(conn: &mut PgConnection, airport: &str) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "select c.id from contacts c join contact_fbo_profiles p on p.contact_id = c.id
          where c.airport_code = $1 and c.active
            and c.roles && array['fbo', 'ground_handler']
          order by c.name, c.id",
    )
    .bind(airport)
    .fetch_all(conn)
    .await?)
}
