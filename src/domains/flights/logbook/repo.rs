//! SQL of the logbook. Every function runs inside the caller's transaction; rows come back
//! through `sqlx::FromRow` and become [`LogbookEntry`] in one place.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::dto::{
    AircraftClass, Approach, Category, EntrySource, LogbookEntry, Minutes, SimulatorKind,
};
use super::fields::Fields;
use crate::kernel::units::wire;
use crate::kernel::{AircraftId, UserId};

/// A nullable text column holding an enum's wire name (`#[sqlx(try_from = "Option<String>")]`).
pub(crate) struct Opt<T>(pub(crate) Option<T>);

impl<T: TryFrom<String, Error = String>> TryFrom<Option<String>> for Opt<T> {
    type Error = String;

    fn try_from(v: Option<String>) -> Result<Self, String> {
        v.map(T::try_from).transpose().map(Opt)
    }
}

/// The columns every statement returns, in [`Row`]'s order.
macro_rules! columns {
    () => {
        "id, person_id, flight_id, date, aircraft_id, registration, type_code, category, class,
         tailwheel, type_rating_required, departure, destination, stops, total_minutes,
         pic_minutes, sic_minutes, dual_received_minutes, dual_given_minutes, solo_minutes,
         cross_country_minutes, night_minutes, actual_instrument_minutes,
         simulated_instrument_minutes, simulator_minutes, simulator_kind, ground_training_minutes,
         day_landings, day_full_stop_landings, night_full_stop_landings, approaches,
         approach_details, holds, intercept_track, ipc, flight_review, instructor_id,
         instructor_certificate_number, signed_at, signed_by, remarks, source, version,
         created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    person_id: UserId,
    flight_id: Option<Uuid>,
    date: NaiveDate,
    aircraft_id: Option<AircraftId>,
    registration: Option<String>,
    type_code: Option<String>,
    #[sqlx(try_from = "Option<String>")]
    category: Opt<Category>,
    #[sqlx(try_from = "Option<String>")]
    class: Opt<AircraftClass>,
    tailwheel: bool,
    type_rating_required: bool,
    departure: Option<String>,
    destination: Option<String>,
    stops: Vec<String>,
    total_minutes: i32,
    pic_minutes: i32,
    sic_minutes: i32,
    dual_received_minutes: i32,
    dual_given_minutes: i32,
    solo_minutes: i32,
    cross_country_minutes: i32,
    night_minutes: i32,
    actual_instrument_minutes: i32,
    simulated_instrument_minutes: i32,
    simulator_minutes: i32,
    #[sqlx(try_from = "Option<String>")]
    simulator_kind: Opt<SimulatorKind>,
    ground_training_minutes: i32,
    day_landings: i32,
    day_full_stop_landings: i32,
    night_full_stop_landings: i32,
    approaches: i32,
    approach_details: Json<Vec<Approach>>,
    holds: i32,
    intercept_track: bool,
    ipc: bool,
    flight_review: bool,
    instructor_id: Option<UserId>,
    instructor_certificate_number: Option<String>,
    signed_at: Option<DateTime<Utc>>,
    signed_by: Option<UserId>,
    remarks: Option<String>,
    #[sqlx(try_from = "String")]
    source: EntrySource,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for LogbookEntry {
    fn from(r: Row) -> Self {
        LogbookEntry {
            id: r.id,
            person_id: r.person_id,
            flight_id: r.flight_id,
            date: r.date,
            aircraft_id: r.aircraft_id,
            registration: r.registration,
            type_code: r.type_code,
            category: r.category.0,
            class: r.class.0,
            tailwheel: r.tailwheel,
            type_rating_required: r.type_rating_required,
            departure: r.departure,
            destination: r.destination,
            stops: r.stops,
            minutes: Minutes {
                total: r.total_minutes,
                pic: r.pic_minutes,
                sic: r.sic_minutes,
                dual_received: r.dual_received_minutes,
                dual_given: r.dual_given_minutes,
                solo: r.solo_minutes,
                cross_country: r.cross_country_minutes,
                night: r.night_minutes,
                actual_instrument: r.actual_instrument_minutes,
                simulated_instrument: r.simulated_instrument_minutes,
                simulator: r.simulator_minutes,
                ground_training: r.ground_training_minutes,
            },
            simulator_kind: r.simulator_kind.0,
            day_landings: r.day_landings,
            day_full_stop_landings: r.day_full_stop_landings,
            night_full_stop_landings: r.night_full_stop_landings,
            approaches: r.approaches,
            approach_details: r.approach_details.0,
            holds: r.holds,
            intercept_track: r.intercept_track,
            ipc: r.ipc,
            flight_review: r.flight_review,
            instructor_id: r.instructor_id,
            instructor_certificate_number: r.instructor_certificate_number,
            signed_at: r.signed_at,
            signed_by: r.signed_by,
            remarks: r.remarks,
            source: r.source,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters of a person's logbook list.
pub struct ListFilter {
    pub person: UserId,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Newest first by (date, id); `limit + 1` rows so the caller can tell whether another page
/// exists. `after` is the (date, id) of the previous page's last entry.
pub async fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<LogbookEntry>, sqlx::Error> {
    let (after_date, after_id) = after.unwrap_or((NaiveDate::MAX, Uuid::max()));
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from logbook_entries
          where person_id = $1 and (date, id) < ($2, $3)
            and date >= coalesce($4, '-infinity'::date) and date <= coalesce($5, 'infinity'::date)
          order by date desc, id desc limit $6"
    ))
    .bind(f.person)
    .bind(after_date)
    .bind(after_id)
    .bind(f.from)
    .bind(f.to)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(LogbookEntry::from).collect())
}

pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<LogbookEntry>, sqlx::Error> {
    let sql = if lock {
        concat!(
            "select ",
            columns!(),
            " from logbook_entries where id = $1 for update"
        )
    } else {
        concat!("select ", columns!(), " from logbook_entries where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(LogbookEntry::from))
}

/// Binds [`Fields`] as `$first ..= $first + 30`, in the order of the insert's column list.
fn bind_fields<'q>(
    q: sqlx::query::QueryAs<'q, sqlx::Postgres, Row, sqlx::postgres::PgArguments>,
    f: &'q Fields,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, Row, sqlx::postgres::PgArguments> {
    let m = &f.minutes;
    q.bind(f.date)
        .bind(f.aircraft_id)
        .bind(f.registration.as_deref())
        .bind(f.type_code.as_deref())
        .bind(f.category.as_ref().map(wire))
        .bind(f.class.as_ref().map(wire))
        .bind(f.tailwheel)
        .bind(f.type_rating_required)
        .bind(f.departure.as_deref())
        .bind(f.destination.as_deref())
        .bind(&f.stops)
        .bind(m.total)
        .bind(m.pic)
        .bind(m.sic)
        .bind(m.dual_received)
        .bind(m.dual_given)
        .bind(m.solo)
        .bind(m.cross_country)
        .bind(m.night)
        .bind(m.actual_instrument)
        .bind(m.simulated_instrument)
        .bind(m.simulator)
        .bind(f.simulator_kind.as_ref().map(wire))
        .bind(m.ground_training)
        .bind(f.day_landings)
        .bind(f.day_full_stop_landings)
        .bind(f.night_full_stop_landings)
        .bind(f.approaches)
        .bind(Json(&f.approach_details))
        .bind(f.holds)
        .bind(f.intercept_track)
        .bind(f.ipc)
        .bind(f.flight_review)
        .bind(f.instructor_id)
        .bind(f.remarks.as_deref())
}

/// Inserts an entry of `person` (`flight` for one generated from a flight).
pub async fn insert(
    conn: &mut PgConnection,
    person: UserId,
    f: &Fields,
    source: EntrySource,
    flight: Option<Uuid>,
) -> Result<LogbookEntry, sqlx::Error> {
    let q = sqlx::query_as(concat!(
        "insert into logbook_entries (id, person_id, source, flight_id,
             date, aircraft_id, registration, type_code, category, class, tailwheel,
             type_rating_required, departure, destination, stops, total_minutes, pic_minutes,
             sic_minutes, dual_received_minutes, dual_given_minutes, solo_minutes,
             cross_country_minutes, night_minutes, actual_instrument_minutes,
             simulated_instrument_minutes, simulator_minutes, simulator_kind,
             ground_training_minutes, day_landings, day_full_stop_landings,
             night_full_stop_landings, approaches, approach_details, holds, intercept_track, ipc,
             flight_review, instructor_id, remarks)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35,
             $36, $37, $38, $39)
         returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(wire(&source))
    .bind(flight);
    let row: Row = bind_fields(q, f).fetch_one(conn).await?;
    Ok(row.into())
}

/// Replaces the written fields of entry `id`.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    f: &Fields,
) -> Result<LogbookEntry, sqlx::Error> {
    let q = sqlx::query_as(concat!(
        "update logbook_entries set
             date = $2, aircraft_id = $3, registration = $4, type_code = $5, category = $6,
             class = $7, tailwheel = $8, type_rating_required = $9, departure = $10,
             destination = $11, stops = $12, total_minutes = $13, pic_minutes = $14,
             sic_minutes = $15, dual_received_minutes = $16, dual_given_minutes = $17,
             solo_minutes = $18, cross_country_minutes = $19, night_minutes = $20,
             actual_instrument_minutes = $21, simulated_instrument_minutes = $22,
             simulator_minutes = $23, simulator_kind = $24, ground_training_minutes = $25,
             day_landings = $26, day_full_stop_landings = $27, night_full_stop_landings = $28,
             approaches = $29, approach_details = $30, holds = $31, intercept_track = $32,
             ipc = $33, flight_review = $34, instructor_id = $35, remarks = $36,
             version = version + 1
         where id = $1 returning ",
        columns!()
    ))
    .bind(id);
    let row: Row = bind_fields(q, f).fetch_one(conn).await?;
    Ok(row.into())
}

/// Signs entry `id` by `instructor` with `certificate`.
pub async fn sign(
    conn: &mut PgConnection,
    id: Uuid,
    instructor: UserId,
    certificate: &str,
) -> Result<LogbookEntry, sqlx::Error> {
    let row: Row = sqlx::query_as(concat!(
        "update logbook_entries set instructor_id = $2, signed_by = $2, signed_at = now(),
             instructor_certificate_number = $3, version = version + 1
         where id = $1 returning ",
        columns!()
    ))
    .bind(id)
    .bind(instructor)
    .bind(certificate)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// The entries flight `flight` generated, locked.
pub async fn by_flight(
    conn: &mut PgConnection,
    flight: Uuid,
) -> Result<Vec<LogbookEntry>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from logbook_entries where flight_id = $1 order by id for update"
    ))
    .bind(flight)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(LogbookEntry::from).collect())
}

/// Every entry of `person`, oldest first (an export).
pub async fn all_of(
    conn: &mut PgConnection,
    person: UserId,
) -> Result<Vec<LogbookEntry>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from logbook_entries where person_id = $1 order by date, id"
    ))
    .bind(person)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(LogbookEntry::from).collect())
}
