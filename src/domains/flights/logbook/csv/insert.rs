//! An import's rows in one statement: one array per column, `unnest`ed into the table, so
//! 10,000 rows cost one round trip (and the CHECK constraints still hold each row).

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domains::flights::logbook::fields::Fields;
use crate::kernel::UserId;
use crate::kernel::units::wire;

/// Inserts `rows` into `person`'s logbook as imported entries; returns how many.
pub async fn insert_all(
    conn: &mut PgConnection,
    person: UserId,
    rows: &[Fields],
) -> Result<u64, sqlx::Error> {
    let col = |f: fn(&Fields) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let int = |f: fn(&Fields) -> i32| rows.iter().map(f).collect::<Vec<_>>();
    let flag = |f: fn(&Fields) -> bool| rows.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let dates: Vec<NaiveDate> = rows.iter().map(|f| f.date).collect();
    let details: Vec<serde_json::Value> = rows
        .iter()
        .map(|f| serde_json::to_value(&f.approach_details).unwrap_or_default())
        .collect();
    let done = sqlx::query(
        "insert into logbook_entries (id, person_id, source, date, registration, type_code, category,
             class, tailwheel, type_rating_required, departure, destination, stops, total_minutes,
             pic_minutes, sic_minutes, dual_received_minutes, dual_given_minutes, solo_minutes,
             cross_country_minutes, night_minutes, actual_instrument_minutes,
             simulated_instrument_minutes, simulator_minutes, simulator_kind,
             ground_training_minutes, day_landings, day_full_stop_landings,
             night_full_stop_landings, approaches, approach_details, holds, intercept_track, ipc,
             flight_review, remarks)
         select id, $1, 'import', date, registration, type_code, category, class, tailwheel,
                type_rating_required, departure, destination,
                coalesce(string_to_array(nullif(stops, ''), ' '), '{}'), total, pic, sic,
                dual_received, dual_given, solo, cross_country, night, actual_instrument,
                simulated_instrument, simulator, simulator_kind, ground_training, day_landings,
                day_full_stop_landings, night_full_stop_landings, approaches, approach_details,
                holds, intercept_track, ipc, flight_review, remarks
           from unnest($2::uuid[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::boolean[], $9::boolean[], $10::text[], $11::text[], $12::text[],
                       $13::int4[], $14::int4[], $15::int4[], $16::int4[], $17::int4[], $18::int4[],
                       $19::int4[], $20::int4[], $21::int4[], $22::int4[], $23::int4[], $24::text[],
                       $25::int4[], $26::int4[], $27::int4[], $28::int4[], $29::int4[], $30::jsonb[],
                       $31::int4[], $32::boolean[], $33::boolean[], $34::boolean[], $35::text[])
             as u (id, date, registration, type_code, category, class, tailwheel,
                   type_rating_required, departure, destination, stops, total, pic, sic,
                   dual_received, dual_given, solo, cross_country, night, actual_instrument,
                   simulated_instrument, simulator, simulator_kind, ground_training, day_landings,
                   day_full_stop_landings, night_full_stop_landings, approaches, approach_details,
                   holds, intercept_track, ipc, flight_review, remarks)",
    )
    .bind(person)
    .bind(&ids)
    .bind(&dates)
    .bind(col(|f| f.registration.clone()))
    .bind(col(|f| f.type_code.clone()))
    .bind(col(|f| f.category.as_ref().map(wire)))
    .bind(col(|f| f.class.as_ref().map(wire)))
    .bind(flag(|f| f.tailwheel))
    .bind(flag(|f| f.type_rating_required))
    .bind(col(|f| f.departure.clone()))
    .bind(col(|f| f.destination.clone()))
    .bind(col(|f| Some(f.stops.join(" "))))
    .bind(int(|f| f.minutes.total))
    .bind(int(|f| f.minutes.pic))
    .bind(int(|f| f.minutes.sic))
    .bind(int(|f| f.minutes.dual_received))
    .bind(int(|f| f.minutes.dual_given))
    .bind(int(|f| f.minutes.solo))
    .bind(int(|f| f.minutes.cross_country))
    .bind(int(|f| f.minutes.night))
    .bind(int(|f| f.minutes.actual_instrument))
    .bind(int(|f| f.minutes.simulated_instrument))
    .bind(int(|f| f.minutes.simulator))
    .bind(col(|f| f.simulator_kind.as_ref().map(wire)))
    .bind(int(|f| f.minutes.ground_training))
    .bind(int(|f| f.day_landings))
    .bind(int(|f| f.day_full_stop_landings))
    .bind(int(|f| f.night_full_stop_landings))
    .bind(int(|f| f.approaches))
    .bind(&details)
    .bind(int(|f| f.holds))
    .bind(flag(|f| f.intercept_track))
    .bind(flag(|f| f.ipc))
    .bind(flag(|f| f.flight_review))
    .bind(col(|f| f.remarks.clone()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
