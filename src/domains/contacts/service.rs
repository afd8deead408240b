//! What other domains ask of contacts: a customer's name and finance account, and the fees an
//! FBO or handler charges for an aircraft type (charter quotes price landing and handling with
//! them).

use sqlx::PgConnection;
use uuid::Uuid;

pub use super::dto::{FeeKind, FuelProduct};
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

/// The FBO or handler whose fees price a stop, and those fees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopFees {
    /// No FBO was named and none with a profile is at the airport.
    NoFbo,
    /// The FBO named has no profile with this organisation (or is no contact of it).
    NoProfile,
    /// The FBO (the one named, else the first active FBO or handler with a profile at the
    /// airport, by name), its currency and its fees of the kinds asked.
    Fees {
        fbo: Uuid,
        currency: String,
        fees: Vec<(FeeKind, i64)>,
    },
}

/// For each stop (an airport code and the FBO asked for there, if one was), in order, the
/// fees of kind `kinds` its FBO charges an aircraft of type `aircraft_type`: the fee for that
/// type where listed, else the general one. One statement for all stops.
pub async fn stop_fees(
    conn: &mut PgConnection,
    stops: &[(&str, Option<Uuid>)],
    aircraft_type: &str,
    kinds: &[FeeKind],
) -> Result<Vec<StopFees>> {
    let airports: Vec<&str> = stops.iter().map(|(a, _)| *a).collect();
    let named: Vec<Option<Uuid>> = stops.iter().map(|(_, f)| *f).collect();
    let wanted: Vec<String> = kinds.iter().map(wire).collect();
    type Row = (
        i64,
        bool,
        Option<Uuid>,
        Option<String>,
        Vec<String>,
        Vec<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "with asked as (
           select n, airport, fbo from unnest($1::text[], $2::uuid[]) with ordinality
             as t (airport, fbo, n)),
         chosen as (
           select n, fbo is not null as named, coalesce(fbo,
             (select c.id from contacts c join contact_fbo_profiles p on p.contact_id = c.id
               where c.airport_code = asked.airport and c.active
                 and c.roles && array['fbo', 'ground_handler']
               order by c.name, c.id limit 1)) as fbo
           from asked)
         select ch.n, ch.named, ch.fbo, p.currency,
                coalesce(f.kinds, '{}'), coalesce(f.amounts, '{}')
           from chosen ch
           left join contact_fbo_profiles p on p.contact_id = ch.fbo
           left join lateral (
             select array_agg(kind) as kinds, array_agg(amount_minor) as amounts from (
               select distinct on (kind) kind, amount_minor from contact_fees
                where contact_id = ch.fbo and kind = any($3) and aircraft_type in ('', $4)
                order by kind, aircraft_type desc) x) f on p.contact_id is not null
          order by ch.n",
    )
    .bind(&airports)
    .bind(&named)
    .bind(&wanted)
    .bind(aircraft_type)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(_, named, fbo, currency, kinds, amounts)| match (fbo, currency) {
                (Some(fbo), Some(currency)) => StopFees::Fees {
                    fbo,
                    currency,
                    fees: kinds
                        .into_iter()
                        .zip(amounts)
                        .filter_map(|(k, a)| FeeKind::try_from(k).ok().map(|k| (k, a)))
                        .collect(),
                },
                _ if named => StopFees::NoProfile,
                _ => StopFees::NoFbo,
            },
        )
        .collect())
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
