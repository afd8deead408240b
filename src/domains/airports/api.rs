//! `/api/v1/airports`: search over the world's airports and the organisation's landing sites,
//! one airport by code, and distance, course and block time between two.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::AIRPORTS_READ;
use super::dto::{Airport, AirportList, AirportSource, CruiseSource, RouteEstimate, SiteKind};
use super::geo::{self, Point};
use super::index::Index;
use crate::auth::TenantCtx;
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Result};
use crate::kernel::page;

pub struct AirportsApi;

#[derive(sqlx::FromRow)]
pub(super) struct AirportRow {
    code: String,
    icao: Option<String>,
    iata: Option<String>,
    local_id: Option<String>,
    name: String,
    city: Option<String>,
    subdivision: Option<String>,
    country: Option<String>,
    latitude: f64,
    longitude: f64,
    elevation_ft: Option<i32>,
    time_zone: String,
    longest_runway_ft: Option<i32>,
    site_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    kind: OptKind,
}

/// A site kind that is absent for a reference airport.
pub(super) struct OptKind(Option<SiteKind>);

impl TryFrom<String> for OptKind {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        if s.is_empty() {
            return Ok(Self(None));
        }
        SiteKind::try_from(s).map(|k| Self(Some(k)))
    }
}

impl From<AirportRow> for Airport {
    fn from(r: AirportRow) -> Self {
        Airport {
            source: if r.site_id.is_some() {
                AirportSource::Private
            } else {
                AirportSource::Reference
            },
            code: r.code,
            icao: r.icao,
            iata: r.iata,
            local_id: r.local_id,
            name: r.name,
            city: r.city,
            subdivision: r.subdivision,
            country: r.country,
            latitude: r.latitude,
            longitude: r.longitude,
            elevation_ft: r.elevation_ft,
            time_zone: r.time_zone,
            longest_runway_ft: r.longest_runway_ft,
            site_id: r.site_id,
            kind: r.kind.0,
        }
    }
}

/// The columns of a reference airport as an [`AirportRow`].
macro_rules! reference_columns {
    () => {
        "a.icao as code, a.icao, a.iata, a.local_id, a.name, a.city, a.subdivision, a.country, \
         a.latitude, a.longitude, a.elevation_ft, a.time_zone, a.longest_runway_ft, \
         null::uuid as site_id, '' as kind"
    };
}

/// The columns of a landing site as an [`AirportRow`].
macro_rules! site_columns {
    () => {
        "s.code, null::text as icao, null::text as iata, null::text as local_id, s.name, \
         null::text as city, null::text as subdivision, s.country, s.latitude, s.longitude, \
         s.elevation_ft, s.time_zone, null::integer as longest_runway_ft, s.id as site_id, \
         s.kind"
    };
}

/// The organisation's active landing sites matching a term: the code ($1, upper case), a name
/// starting with it or (three characters or more, $3) containing it ($2, LIKE-escaped lower
/// case), ranked like the reference airports. $4 the country, $5 the limit.
const SITES_SEARCH: &str = concat!(
    "select ",
    site_columns!(),
    ", case when s.code = $1 then 0 when lower(s.name) like $2 || '%' then 3 else 4 end as rank
       from landing_sites s
      where s.active and (s.code = $1 or lower(s.name) like $2 || '%'
                          or ($3 and lower(s.name) like '%' || $2 || '%'))
        and ($4::text is null or s.country = $4)
      order by rank, length(s.name), s.code limit $5"
);

#[derive(sqlx::FromRow)]
struct SiteMatch {
    #[sqlx(flatten)]
    row: AirportRow,
    rank: i32,
}

/// `text` with LIKE's wildcards and escape character escaped.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The best `limit` matches of `term` (trimmed, not blank) among the shipped airports (the
/// in-memory index) and the organisation's active landing sites, ranked as docs/airports.md
/// says; a site before an airport of the same rank.
pub async fn search(
    conn: &mut PgConnection,
    term: &str,
    country: Option<&str>,
    limit: i64,
) -> Result<Vec<Airport>> {
    let text = term.to_lowercase();
    let want = usize::try_from(limit).unwrap_or(0);
    let sites: Vec<SiteMatch> = sqlx::query_as(SITES_SEARCH)
        .bind(term.to_uppercase())
        .bind(like_escape(&text))
        .bind(text.chars().count() >= 3)
        .bind(country)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    let airports = Index::get().search(term, country, want);
    let mut sites = sites.into_iter().peekable();
    let mut out = Vec::with_capacity(want);
    for (rank, airport) in airports {
        while let Some(s) = sites.next_if(|s| s.rank <= i32::from(rank)) {
            out.push(Airport::from(s.row));
        }
        out.push(airport);
    }
    out.extend(sites.map(|s| Airport::from(s.row)));
    out.truncate(want);
    Ok(out)
}

/// The airport or active-or-not landing site with `code` (ICAO, IATA, local id, then a site's
/// code), if any.
pub async fn by_code(conn: &mut PgConnection, code: &str) -> Result<Option<Airport>> {
    let code = code.trim().to_uppercase();
    let row: Option<AirportRow> = sqlx::query_as(concat!(
        "select ",
        reference_columns!(),
        " from reference.airports a where a.icao = $1 or a.iata = $1 or a.local_id = $1
          order by (a.icao = $1) desc, (a.iata = $1) desc, a.icao limit 1"
    ))
    .bind(&code)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        return Ok(Some(row.into()));
    }
    let row: Option<AirportRow> = sqlx::query_as(concat!(
        "select ",
        site_columns!(),
        " from landing_sites s where s.code = $1"
    ))
    .bind(&code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(Airport::from))
}

/// Airports by code, each as [`by_code`] finds it (a reference airport by ICAO, IATA or local
/// code first, else the organisation's landing site), in one statement; keyed by the code as
/// given, trimmed and in upper case. Codes that name nothing are absent.
pub async fn by_codes(
    conn: &mut PgConnection,
    codes: &[&str],
) -> Result<std::collections::HashMap<String, Airport>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        asked: String,
        #[sqlx(flatten)]
        row: AirportRow,
    }
    let asked: Vec<String> = codes.iter().map(|c| c.trim().to_uppercase()).collect();
    let rows: Vec<Found> = sqlx::query_as(concat!(
        "select q.code as asked, f.* from (select distinct unnest($1::text[]) as code) q
         cross join lateral (
           select * from (
             (select 0 as source, ",
        reference_columns!(),
        " from reference.airports a where a.icao = q.code or a.iata = q.code or a.local_id = q.code
               order by (a.icao = q.code) desc, (a.iata = q.code) desc, a.icao limit 1)
             union all
             (select 1 as source, ",
        site_columns!(),
        " from landing_sites s where s.code = q.code)
           ) x order by source limit 1
         ) f"
    ))
    .bind(&asked)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|f| (f.asked, Airport::from(f.row)))
        .collect())
}

/// Tenths.
fn tenth(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[OpenApi(prefix_path = "/api/v1/airports", tag = "super::Tag::Airports")]
impl AirportsApi {
    /// Search the world's airports and the organisation's active landing sites: an ICAO, IATA
    /// or local code first, then names and cities starting with the term, containing it, and
    /// (three characters or more) spelled like it. Returns the best `limit` matches.
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/", method = "get")]
    async fn search(
        &self,
        ctx: TenantCtx,
        /// A code or part of a name or city, 1 to 64 characters.
        #[oai(validator(min_length = 1, max_length = 64))]
        q: Query<String>,
        /// Only this country (ISO 3166-1 alpha-2).
        #[oai(validator(pattern = r"^[A-Z]{2}$"))]
        country: Query<Option<String>>,
        /// At most this many, 1..=200 (default 50).
        limit: Query<page::Limit>,
    ) -> Result<Json<AirportList>> {
        let term = q.0.trim();
        if term.is_empty() {
            return Err(AppError::validation("q", "must not be blank"));
        }
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let items = search(&mut tx, term, country.0.as_deref(), limit.0.get()).await?;
        tx.end_read();
        Ok(Json(AirportList { items }))
    }

    /// Great-circle distance, initial true course and block time between two airports or
    /// landing sites (by code). The cruise speed is `cruise_kts`, else the cruise speed of
    /// `aircraft_id` (the aircraft's own, else its type's); block time is taxi out + the
    /// distance at cruise speed, rounded up to the minute + taxi in (no wind, no climb).
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/distance", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn distance(
        &self,
        ctx: TenantCtx,
        /// From: a code.
        #[oai(validator(min_length = 1, max_length = 10))]
        from: Query<String>,
        /// To: a code.
        #[oai(validator(min_length = 1, max_length = 10))]
        to: Query<String>,
        /// Cruise true airspeed, knots.
        #[oai(validator(minimum(value = "1"), maximum(value = "700")))]
        cruise_kts: Query<Option<i32>>,
        /// An aircraft of the fleet whose cruise speed to use (when `cruise_kts` is absent).
        aircraft_id: Query<Option<Uuid>>,
        /// Default 10.
        #[oai(validator(minimum(value = "0"), maximum(value = "120")))]
        taxi_out_minutes: Query<Option<i32>>,
        /// Default 5.
        #[oai(validator(minimum(value = "0"), maximum(value = "120")))]
        taxi_in_minutes: Query<Option<i32>>,
    ) -> Result<Json<RouteEstimate>> {
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let from = by_code(&mut tx, &from.0)
            .await?
            .ok_or_else(|| AppError::validation("from", "names no airport or landing site"))?;
        let to = by_code(&mut tx, &to.0)
            .await?
            .ok_or_else(|| AppError::validation("to", "names no airport or landing site"))?;
        let (cruise_kts, cruise_source) = match (cruise_kts.0, aircraft_id.0) {
            (Some(k), _) => (k, CruiseSource::Request),
            (None, Some(id)) => match fleet::cruise_speeds(&mut tx, id).await? {
                None => {
                    return Err(AppError::validation(
                        "aircraft_id",
                        "names no aircraft of this organisation",
                    ));
                }
                Some((Some(k), _)) => (k, CruiseSource::Aircraft),
                Some((None, Some(k))) => (k, CruiseSource::AircraftType),
                Some((None, None)) => {
                    return Err(AppError::validation(
                        "aircraft_id",
                        "the aircraft and its type have no cruise speed: send cruise_kts",
                    ));
                }
            },
            (None, None) => {
                return Err(AppError::validation(
                    "cruise_kts",
                    "is required without aircraft_id",
                ));
            }
        };
        tx.end_read();
        let (a, b) = (
            Point {
                latitude: from.latitude,
                longitude: from.longitude,
            },
            Point {
                latitude: to.latitude,
                longitude: to.longitude,
            },
        );
        let distance = geo::distance_nm(a, b);
        let flight_minutes = geo::flight_minutes(distance, cruise_kts);
        let taxi_out = taxi_out_minutes.0.unwrap_or(10);
        let taxi_in = taxi_in_minutes.0.unwrap_or(5);
        Ok(Json(RouteEstimate {
            distance_nm: tenth(distance),
            initial_course_deg: tenth(geo::initial_course(a, b)).rem_euclid(360.0),
            cruise_kts,
            cruise_source,
            flight_minutes,
            taxi_out_minutes: taxi_out,
            taxi_in_minutes: taxi_in,
            block_minutes: taxi_out + flight_minutes + taxi_in,
            from,
            to,
        }))
    }

    /// One airport or landing site by code: ICAO (`LSZH`), IATA (`ZRH`), a local code (the
    /// FAA's `JFK`), or a landing site's own code. An unknown code is `404`.
    ///
    /// Permission: `airports.read`.
    #[oai(path = "/:code", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        /// The code.
        #[oai(validator(min_length = 1, max_length = 10))]
        code: Path<String>,
    ) -> Result<Json<Airport>> {
        ctx.require(AIRPORTS_READ)?;
        let mut tx = ctx.begin().await?;
        let airport = by_code(&mut tx, &code.0)
            .await?
            .ok_or(AppError::NotFound("airport"))?;
        tx.end_read();
        Ok(Json(airport))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_escape_escapes_wildcards() {
        assert_eq!(super::like_escape("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(super::like_escape("zürich"), "zürich");
    }
}
