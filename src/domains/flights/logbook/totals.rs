//! `GET /api/v1/flights/logbook/totals`: every time and count of a person's logbook summed
//! overall, over the last 30, 90 and 365 days (local dates of the tenant, today included), by
//! category and class, and by type: one statement, one pass over the person's entries
//! (`grouping sets` over the window band each entry falls in and the breakdowns).

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

impl Totals {
    fn add(&mut self, o: &Totals) {
        let (m, n) = (&mut self.minutes, &o.minutes);
        self.entries += o.entries;
        m.total += n.total;
        m.pic += n.pic;
        m.sic += n.sic;
        m.dual_received += n.dual_received;
        m.dual_given += n.dual_given;
        m.solo += n.solo;
        m.cross_country += n.cross_country;
        m.night += n.night;
        m.actual_instrument += n.actual_instrument;
        m.simulated_instrument += n.simulated_instrument;
        m.simulator += n.simulator;
        m.ground_training += n.ground_training;
        self.day_landings += o.day_landings;
        self.day_full_stop_landings += o.day_full_stop_landings;
        self.night_full_stop_landings += o.night_full_stop_landings;
        self.approaches += o.approaches;
        self.holds += o.holds;
    }
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
    by_window: bool,
    win: Option<i32>,
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

/// The one statement. Each entry falls into one window band (`win`: 30 = the last 30 days,
/// 90 = days 31 to 90, 365 = days 91 to 365, 0 = older or after today); one pass sums the
/// whole logbook, each band, each category and class, and each type (`grouping sets`), and
/// the windows are the bands added up (they nest).
const TOTALS_SQL: &str = "
select grouping(win) = 0 as by_window, grouping(e.category, e.class) = 0 as by_class,
       grouping(e.type_code) = 0 as by_type, win, e.category, e.class, e.type_code,
       count(*) as entries, coalesce(sum(total_minutes), 0) as total, coalesce(sum(pic_minutes), 0) as pic,
       coalesce(sum(sic_minutes), 0) as sic, coalesce(sum(dual_received_minutes), 0) as dual_received,
       coalesce(sum(dual_given_minutes), 0) as dual_given, coalesce(sum(solo_minutes), 0) as solo,
       coalesce(sum(cross_country_minutes), 0) as cross_country, coalesce(sum(night_minutes), 0) as night,
       coalesce(sum(actual_instrument_minutes), 0) as actual_instrument,
       coalesce(sum(simulated_instrument_minutes), 0) as simulated_instrument,
       coalesce(sum(simulator_minutes), 0) as simulator, coalesce(sum(ground_training_minutes), 0) as ground_training,
       coalesce(sum(day_landings), 0) as day_landings, coalesce(sum(day_full_stop_landings), 0) as day_full_stop_landings,
       coalesce(sum(night_full_stop_landings), 0) as night_full_stop_landings,
       coalesce(sum(approaches), 0) as approaches, coalesce(sum(holds), 0) as holds
  from logbook_entries e
 cross join lateral (select case when e.date > $2::date or e.date <= $2::date - 365 then 0
                                 when e.date > $2::date - 30 then 30
                                 when e.date > $2::date - 90 then 90
                                 else 365 end as win) w
 where e.person_id = $1
 group by grouping sets ((), (win), (e.category, e.class), (e.type_code))";

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
        match (r.by_window, r.by_class, r.by_type) {
            (true, _, _) => {
                let band = r.totals();
                let windows: &mut [&mut Totals] = match r.win {
                    Some(30) => &mut [
                        &mut t.last_30_days,
                        &mut t.last_90_days,
                        &mut t.last_365_days,
                    ],
                    Some(90) => &mut [&mut t.last_90_days, &mut t.last_365_days],
                    Some(365) => &mut [&mut t.last_365_days],
                    _ => &mut [],
                };
                for w in windows.iter_mut() {
                    w.add(&band);
                }
            }
            (_, true, _) => t.by_category_class.push(CategoryClassTotals {
                category: r.category.0,
                class: r.class.0,
                totals: r.totals(),
            }),
            (_, _, true) => t.by_type.push(TypeTotals {
                type_code: r.type_code.clone(),
                totals: r.totals(),
            }),
            _ => t.overall = r.totals(),
        }
    }
    t.by_category_class
        .sort_by_key(|c| std::cmp::Reverse(c.totals.minutes.total + c.totals.minutes.simulator));
    t.by_type.sort_by(|a, b| {
        b.totals
            .minutes
            .total
            .cmp(&a.totals.minutes.total)
            .then(a.type_code.cmp(&b.type_code))
    });
    Ok(t)
}

pub struct TotalsApi;

#[OpenApi(
    prefix_path = "/api/v1/flights/logbook/totals",
    tag = "super::super::Tag::Flights"
)]
impl TotalsApi {
    /// A person's logbook totals: every time (minutes) and count overall, over the last 30, 90
    /// and 365 days ending today in the tenant's time zone, and by category and class and by
    /// type. `person_id` defaults to the caller.
    ///
    /// Permission: `flights.read` for one's own logbook, `flights.manage` for another's.
    #[oai(path = "/", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        person_id: Query<Option<UserId>>,
    ) -> Result<Json<LogbookTotals>> {
        let person = person_for(&ctx, person_id.0)?;
        let mut tx = ctx.begin().await?;
        ensure_person(&ctx, &mut tx, person).await?;
        let clock = TenantClock::load(&mut tx).await?;
        let t = totals(&mut tx, person, clock.today(), clock.name()).await?;
        tx.end_read();
        Ok(Json(t))
    }
}
