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
