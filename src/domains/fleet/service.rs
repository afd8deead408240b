//! The fleet domain's interface to other domains: reading an aircraft and recording a meter
//! reading (scheduling's check-in), and the category and class vocabulary (the flights domain's
//! logbook speaks the same). Other domains import only this module.

pub use super::dto::{AircraftClass, Category};
pub use super::repo::{NewReading, get_aircraft, record_reading};

/// A subquery (SQL text) giving what the compliance engine reads of the aircraft whose id is
/// the SQL expression `id`, as a jsonb object (`category`, `class`, `engine_type`,
/// `type_designator`, `model`, `equipment`), or null: for a caller that loads it with other facts
/// in one statement.
pub fn compliance_json_sql(id: &str) -> String {
    format!(
        "(select jsonb_build_object('category', category, 'class', class, 'engine_type', engine_type,
             'type_designator', type_designator, 'model', model, 'equipment', equipment)
          from aircraft where id = {id})"
    )
}

/// A subquery (SQL text) giving the registration of the aircraft whose id is the SQL expression
/// `id`: for a report that names aircraft in the same statement (finance's utilisation).
pub fn registration_sql(id: &str) -> String {
    format!("(select registration from aircraft where id = {id})")
}

/// The cruise speeds of aircraft `id`: its own and its type's (knots), each where set; `None`
/// when no such aircraft exists (the airports domain's block time).
pub async fn cruise_speeds(
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
) -> Result<Option<(Option<i32>, Option<i32>)>, sqlx::Error> {
    sqlx::query_as(
        "select a.cruise_speed_kts, t.cruise_speed_kts from aircraft a
           left join aircraft_types t on t.id = a.aircraft_type_id where a.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// What charter quoting needs of an aircraft: its registration, type, base and cruise speed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AircraftFacts {
    pub registration: String,
    pub aircraft_type_id: Option<uuid::Uuid>,
    /// The type designator of the aircraft, else of its type.
    pub type_designator: Option<String>,
    pub home_base: Option<String>,
    /// The aircraft's cruise speed, else its type's.
    pub cruise_speed_kts: Option<i32>,
    pub seats: Option<i32>,
}

/// [`AircraftFacts`] of aircraft `id`, if the organisation has it.
pub async fn aircraft_facts(
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
) -> Result<Option<AircraftFacts>, sqlx::Error> {
    sqlx::query_as(
        "select a.registration, a.aircraft_type_id,
                coalesce(a.type_designator, t.designator) as type_designator, a.home_base,
                coalesce(a.cruise_speed_kts, t.cruise_speed_kts) as cruise_speed_kts, a.seats
           from aircraft a left join aircraft_types t on t.id = a.aircraft_type_id
          where a.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Whether the organisation has aircraft type `id`.
pub async fn aircraft_type_exists(
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from aircraft_types where id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}
