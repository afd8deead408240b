//! `GET /api/v1/flights/logbook/totals`: every time and count of a person's logbook summed
//! overall, over the last 30, 90 and 365 days (local dates of the tenant, today included), by
//! category and class, and by type: one statement (a lateral join puts each entry into the
//! windows it falls in, `grouping sets` sums the windows and the breakdowns in one pass).

use chrono::NaiveDate;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use sqlx::PgConnection;

use super::access::{ensure_person, person_for};
use super::dto::{AircraftClass, Category};
use super::repo::Opt;
use crate::auth::TenantCtx;
use crate::error::Result;
use crate::kernel::UserId;
use crate::timezone::TenantClock;

/// Sums of the times of [`super::dto::Minutes`], in minutes.
#[derive(Object, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MinuteTotals {
    pub total: i64,
    pub pic: i64,
    pub sic: i64,
    pub dual_received: i64,
    pub dual_given: i64,
    pub solo: i64,
    pub cross_country: i64,
    pub night: i64,
    pub actual_instrument: i64,
    pub simulated_instrument: i64,
    pub simulator: i64,
    pub ground_training: i64,
}

/// The sums of a set of entries.
#[derive(Object, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// How many entries.
    pub entries: i64,
    pub minutes: MinuteTotals,
    pub day_landings: i64,
    pub day_full_stop_landings: i64,
    pub night_full_stop_landings: i64,
    pub approaches: i64,
    pub holds: i64,
}

/// Totals of one category and class (both null: training devices and entries without).
#[derive(Object, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CategoryClassTotals {
    pub category: Option<Category>,
    pub class: Option<AircraftClass>,
    pub totals: Totals,
}

/// Totals of one aircraft type (null: entries without a type).
#[derive(Object, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TypeTotals {
    pub type_code: Option<String>,
    pub totals: Totals,
}

/// A person's logbook totals.
#[derive(Object, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogbookTotals {
    pub person_id: UserId,
    /// Today in the tenant's time zone: the last day of every window.
    pub as_of: NaiveDate,
    /// The tenant's time zone (IANA name).
    pub time_zone: String,
    pub overall: Totals,
    /// Entries dated `as_of` and the 29 days before.
    pub last_30_days: Totals,
    pub last_90_days: Totals,
    pub last_365_days: Totals,
    /// Overall, by category and class, most time first.
    pub by_category_class: Vec<CategoryClassTotals>,
    /// Overall, by type, most time first.
    pub by_type: Vec<TypeTotals>,
}

#[derive(sqlx::FromRow)]
struct Row {
    bucket: String,
    by_class: bool,
    by_type: bool,
    #[sqlx(try_from = "Option<String>")]
    category: Opt<Category>,
    #[sqlx(try_from = "Option<String>")]
    class: Opt<AircraftClass>,
    type_code: Option<String>,
    entries: i64,
    total: i64,
    pic: i64,
    sic: i64,
    dual_received: i64,
    dual_given: i64,
    solo: i64,
    cross_country: i64,
    night: i64,
    actual_instrument: i64,
    simulated_instrument: i64,
    simulator: i64,
    ground_training: i64,
    day_landings: i64,
    day_full_stop_landings: i64,
    night_full_stop_landings: i64,
    approaches: i64,
    holds: i64,
}

impl Row {
    fn totals(&self) -> Totals {
        Totals {
            entries: self.entries,
            minutes: MinuteTotals {
                total: self.total,
                pic: self.pic,
                sic: self.sic,
                dual_received: self.dual_received,
                dual_given: self.dual_given,
                solo: self.solo,
                cross_country: self.cross_country,
                night: self.night,
                actual_instrument: self.actual_instrument,
                simulated_instrument: self.simulated_instrument,
                simulator: self.simulator,
                ground_training: self.ground_training,
            },
            day_landings: self.day_landings,
            day_full_stop_landings: self.day_full_stop_landings,
            night_full_stop_landings: self.night_full_stop_landings,
            approaches: self.approaches,
            holds: self.holds,
        }
    }
}

/// The one statement: windows × (everything, category and class, type); breakdowns only for
/// the whole logbook (`having`).
const TOTALS_SQL: &str = "
select w.bucket, grouping(e.category, e.class) = 0 as by_class, grouping(e.type_code) = 0 as by_type,
       e.category, e.class, e.type_code, count(*) as entries,
       sum(total_minutes)::int8 as total, sum(pic_minutes)::int8 as pic,
       sum(sic_minutes)::int8 as sic, sum(dual_received_minutes)::int8 as dual_received,
       sum(dual_given_minutes)::int8 as dual_given, sum(solo_minutes)::int8 as solo,
       sum(cross_country_minutes)::int8 as cross_country, sum(night_minutes)::int8 as night,
       sum(actual_instrument_minutes)::int8 as actual_instrument,
       sum(simulated_instrument_minutes)::int8 as simulated_instrument,
       sum(simulator_minutes)::int8 as simulator,
       sum(ground_training_minutes)::int8 as ground_training,
       sum(day_landings)::int8 as day_landings,
       sum(day_full_stop_landings)::int8 as day_full_stop_landings,
       sum(night_full_stop_landings)::int8 as night_full_stop_landings,
       sum(approaches)::int8 as approaches, sum(holds)::int8 as holds
  from logbook_entries e
 cross join lateral (values ('all', true),
                            ('30', e.date > $2::date - 30 and e.date <= $2::date),
                            ('90', e.date > $2::date - 90 and e.date <= $2::date),
                            ('365', e.date > $2::date - 365 and e.date <= $2::date)) w (bucket, inside)
 where e.person_id = $1 and w.inside
 group by grouping sets ((w.bucket), (w.bucket, e.category, e.class), (w.bucket, e.type_code))
having w.bucket = 'all' or (grouping(e.category, e.class) = 3 and grouping(e.type_code) = 1)";

/// `person`'s totals with windows ending on `today`.
pub async fn totals(
    conn: &mut PgConnection,
    person: UserId,
    today: NaiveDate,
    time_zone: &str,
) -> Result<LogbookTotals, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(TOTALS_SQL)
        .bind(person)
        .bind(today)
        .fetch_all(conn)
        .await?;
    let mut t = LogbookTotals {
        person_id: person,
        as_of: today,
        time_zone: time_zone.to_owned(),
        overall: Totals::default(),
        last_30_days: Totals::default(),
        last_90_days: Totals::default(),
        last_365_days: Totals::default(),
        by_category_class: Vec::new(),
        by_type: Vec::new(),
    };
    for r in rows {
        match (r.by_class, r.by_type, r.bucket.as_str()) {
            (true, _, _) => t.by_category_class.push(CategoryClassTotals {
                category: r.category.0,
                class: r.class.0,
                totals: r.totals(),
            }),
            (_, true, _) => t.by_type.push(TypeTotals {
                type_code: r.type_code.clone(),
                totals: r.totals(),
            }),
            (_, _, "all") => t.overall = r.totals(),
            (_, _, "30") => t.last_30_days = r.totals(),
            (_, _, "90") => t.last_90_days = r.totals(),
            _ => t.last_365_days = r.totals(),
        }
    }
    t.by_category_class
        .sort_by_key(|c| std::cmp::Reverse(c.totals.minutes.total + c.totals.minutes.simulator));
    t.by_type
        .sort_by(|a, b| b.totals.minutes.total.cmp(&a.totals.minutes.total).then(a.type_code.cmp(&b.type_code)));
    Ok(t)
}

pub struct TotalsApi;

#[OpenApi(prefix_path = "/api/v1/flights/logbook/totals", tag = "super::super::Tag::Flights")]
impl TotalsApi {
    /// A person's logbook totals: every time (minutes) and count overall, over the last 30, 90
    /// and 365 days ending today in the tenant's time zone, and by category and class and by
    /// type. `person_id` defaults to the caller.
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    #[oai(path = "/", method = "get")]
    async fn get(&self, ctx: TenantCtx, person_id: Query<Option<UserId>>) -> Result<Json<LogbookTotals>> {
        let person = person_for(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        ensure_person(&ctx, &mut tx, person).await?;
        let clock = TenantClock::load(&mut tx).await?;
        let t = totals(&mut tx, person, clock.today(), clock.name()).await?;
        tx.end_read();
        Ok(Json(t))
    }
}
