//! SQL of aircraft and their meters. Every function runs inside the caller's `TenantTx`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::kernel::{AircraftId, BookingId, UserId};

use super::dto::{
    Aircraft, AircraftClass, Category, EngineType, FleetStatus, MeterReading, MeterSource, hours,
    wire,
};
use crate::domains::maintenance::service::airworthiness::{self, Airworthiness};

pub const AIRCRAFT_COLUMNS: &str = "id, registration, aircraft_type_id, make, model, type_designator, category, class,
     engine_type, seats, cruise_speed_kts, wet_rate, dry_rate, currency, home_base, status, hobbs_tenths,
     tach_tenths, equipment, photo_attachment_id, notes, version, created_at, updated_at";

/// The nullable `class` column of aircraft and aircraft types (a row decodes it with
/// `#[sqlx(try_from = "Option<String>")]`).
pub(super) struct ClassColumn(pub(super) Option<AircraftClass>);

impl TryFrom<Option<String>> for ClassColumn {
    type Error = String;

    fn try_from(v: Option<String>) -> Result<Self, String> {
        v.map(AircraftClass::try_from).transpose().map(ClassColumn)
    }
}

#[derive(sqlx::FromRow)]
struct AircraftRow {
    id: AircraftId,
    registration: String,
    aircraft_type_id: Option<Uuid>,
    make: String,
    model: String,
    type_designator: Option<String>,
    #[sqlx(try_from = "String")]
    category: Category,
    #[sqlx(try_from = "Option<String>")]
    class: ClassColumn,
    #[sqlx(try_from = "String")]
    engine_type: EngineType,
    seats: Option<i32>,
    cruise_speed_kts: Option<i32>,
    wet_rate: Option<i32>,
    dry_rate: Option<i32>,
    currency: String,
    home_base: Option<String>,
    #[sqlx(try_from = "String")]
    status: FleetStatus,
    hobbs_tenths: i64,
    tach_tenths: i64,
    equipment: Vec<String>,
    photo_attachment_id: Option<Uuid>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<AircraftRow> for Aircraft {
    fn from(r: AircraftRow) -> Self {
        Aircraft {
            id: r.id,
            registration: r.registration,
            aircraft_type_id: r.aircraft_type_id,
            make: r.make,
            model: r.model,
            type_designator: r.type_designator,
            category: r.category,
            class: r.class.0,
            engine_type: r.engine_type,
            seats: r.seats,
            cruise_speed_kts: r.cruise_speed_kts,
            wet_rate: r.wet_rate,
            dry_rate: r.dry_rate,
            currency: r.currency,
            home_base: r.home_base,
            status: r.status,
            hobbs: hours(r.hobbs_tenths),
            tach: hours(r.tach_tenths),
            equipment: r.equipment,
            photo_attachment_id: r.photo_attachment_id,
            notes: r.notes,
            airworthiness: Airworthiness::default(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Fills in the airworthiness of `list` on local day `today` (one statement for the page).
pub async fn with_airworthiness(
    conn: &mut PgConnection,
    mut list: Vec<Aircraft>,
    today: NaiveDate,
) -> Result<Vec<Aircraft>, sqlx::Error> {
    let ids: Vec<Uuid> = list.iter().map(|a| a.id.0).collect();
    let mut states = airworthiness::of(conn, &ids, today).await?;
    for a in &mut list {
        a.airworthiness = states.remove(&a.id.0).unwrap_or_default();
    }
    Ok(list)
}

pub async fn get_aircraft(
    conn: &mut PgConnection,
    id: AircraftId,
    lock: bool,
) -> Result<Option<Aircraft>, sqlx::Error> {
    let sql = format!(
        "select {AIRCRAFT_COLUMNS} from aircraft where id = $1{}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as::<_, AircraftRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Aircraft::from))
}

/// Filters of the aircraft list.
pub struct AircraftFilter<'a> {
    pub status: Option<String>,
    pub aircraft_type_id: Option<Uuid>,
    pub equipment: Option<&'a str>,
    pub home_base: Option<&'a str>,
    pub search: Option<&'a str>,
}

/// Newest first; `limit + 1` rows so the caller can tell whether another page exists.
pub async fn list_aircraft(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    f: &AircraftFilter<'_>,
    limit: i64,
) -> Result<Vec<Aircraft>, sqlx::Error> {
    let sql = format!(
        "select {AIRCRAFT_COLUMNS} from aircraft
          where ($1::uuid is null or id < $1) and ($2::text is null or status = $2)
            and ($3::uuid is null or aircraft_type_id = $3) and ($4::text is null or $4 = any(equipment))
            and ($5::text is null or home_base = $5) and ($6::text is null or registration ilike $6)
          order by id desc limit $7"
    );
    let rows = sqlx::query_as::<_, AircraftRow>(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(&f.status)
        .bind(f.aircraft_type_id)
        .bind(f.equipment)
        .bind(f.home_base)
        .bind(f.search.map(crate::kernel::page::contains_pattern))
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Aircraft::from).collect())
}

pub async fn insert_aircraft(conn: &mut PgConnection, a: &Aircraft) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into aircraft (id, registration, aircraft_type_id, make, model, type_designator, category,
             class, engine_type, seats, cruise_speed_kts, wet_rate, dry_rate, currency, home_base, status,
             hobbs_tenths, tach_tenths, equipment, photo_attachment_id, notes)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(a.id)
    .bind(&a.registration)
    .bind(a.aircraft_type_id)
    .bind(&a.make)
    .bind(&a.model)
    .bind(&a.type_designator)
    .bind(wire(&a.category))
    .bind(a.class.as_ref().map(wire))
    .bind(wire(&a.engine_type))
    .bind(a.seats)
    .bind(a.cruise_speed_kts)
    .bind(a.wet_rate)
    .bind(a.dry_rate)
    .bind(&a.currency)
    .bind(&a.home_base)
    .bind(wire(&a.status))
    .bind(super::dto::tenths(a.hobbs))
    .bind(super::dto::tenths(a.tach))
    .bind(&a.equipment)
    .bind(a.photo_attachment_id)
    .bind(&a.notes)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Writes every editable column (not the meters) and bumps the version.
pub async fn update_aircraft(conn: &mut PgConnection, a: &Aircraft) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update aircraft set registration = $2, aircraft_type_id = $3, make = $4, model = $5,
             type_designator = $6, category = $7, class = $8, engine_type = $9, seats = $10,
             cruise_speed_kts = $11, wet_rate = $12, dry_rate = $13, currency = $14, home_base = $15,
             status = $16, equipment = $17, photo_attachment_id = $18, notes = $19, version = version + 1
         where id = $1",
    )
    .bind(a.id)
    .bind(&a.registration)
    .bind(a.aircraft_type_id)
    .bind(&a.make)
    .bind(&a.model)
    .bind(&a.type_designator)
    .bind(wire(&a.category))
    .bind(a.class.as_ref().map(wire))
    .bind(wire(&a.engine_type))
    .bind(a.seats)
    .bind(a.cruise_speed_kts)
    .bind(a.wet_rate)
    .bind(a.dry_rate)
    .bind(&a.currency)
    .bind(&a.home_base)
    .bind(wire(&a.status))
    .bind(&a.equipment)
    .bind(a.photo_attachment_id)
    .bind(&a.notes)
    .execute(conn)
    .await
    .map(|_| ())
}

const READING_COLUMNS: &str = "id, aircraft_id, hobbs_tenths, tach_tenths, source, booking_id, corrects_id, reason, recorded_by, created_at";

#[derive(sqlx::FromRow)]
struct ReadingRow {
    id: Uuid,
    aircraft_id: Uuid,
    hobbs_tenths: i64,
    tach_tenths: i64,
    #[sqlx(try_from = "String")]
    source: MeterSource,
    booking_id: Option<Uuid>,
    corrects_id: Option<Uuid>,
    reason: Option<String>,
    recorded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<ReadingRow> for MeterReading {
    fn from(r: ReadingRow) -> Self {
        MeterReading {
            id: r.id,
            aircraft_id: r.aircraft_id,
            hobbs: hours(r.hobbs_tenths),
            tach: hours(r.tach_tenths),
            source: r.source,
            booking_id: r.booking_id,
            corrects_id: r.corrects_id,
            reason: r.reason,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

/// A new reading of one aircraft's meters; it becomes the aircraft's current meters.
pub struct NewReading<'a> {
    pub aircraft_id: AircraftId,
    pub hobbs_tenths: i64,
    pub tach_tenths: i64,
    pub source: &'static str,
    pub booking_id: Option<BookingId>,
    pub corrects_id: Option<Uuid>,
    pub reason: Option<&'a str>,
    pub recorded_by: Option<UserId>,
}

/// Appends the reading and sets the aircraft's meters to it.
pub async fn record_reading(
    conn: &mut PgConnection,
    r: &NewReading<'_>,
) -> Result<MeterReading, sqlx::Error> {
    let sql = format!(
        "with moved as (update aircraft set hobbs_tenths = $3, tach_tenths = $4 where id = $2)
         insert into meter_readings (id, aircraft_id, hobbs_tenths, tach_tenths, source, booking_id, corrects_id, reason, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {READING_COLUMNS}"
    );
    let row = sqlx::query_as::<_, ReadingRow>(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(r.aircraft_id)
        .bind(r.hobbs_tenths)
        .bind(r.tach_tenths)
        .bind(r.source)
        .bind(r.booking_id)
        .bind(r.corrects_id)
        .bind(r.reason)
        .bind(r.recorded_by)
        .fetch_one(conn)
        .await?;
    Ok(MeterReading::from(row))
}

/// Newest first.
pub async fn list_readings(
    conn: &mut PgConnection,
    aircraft_id: AircraftId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MeterReading>, sqlx::Error> {
    let sql = format!(
        "select {READING_COLUMNS} from meter_readings where aircraft_id = $1 and id < $2
          order by id desc limit $3"
    );
    let rows = sqlx::query_as::<_, ReadingRow>(sqlx::AssertSqlSafe(sql))
        .bind(aircraft_id)
        .bind(after.unwrap_or(Uuid::max()))
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(MeterReading::from).collect())
}

pub async fn reading_exists(
    conn: &mut PgConnection,
    aircraft_id: AircraftId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists(select 1 from meter_readings where id = $1 and aircraft_id = $2)",
    )
    .bind(id)
    .bind(aircraft_id)
    .fetch_one(conn)
    .await
}
