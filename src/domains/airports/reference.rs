//! The world's airports as reference data: `reference-data/airports/airports.csv` (the `airportsdata`
//! package, MIT; reference-data/airports/README.md), compiled into the binary and copied into
//! `reference.airports` by the host when the stored version differs (docs/airports.md).

use futures_util::future::BoxFuture;
use sqlx::PgConnection;

use crate::kernel::manifest::ReferenceData;

/// The `airportsdata` release the CSV comes from.
pub const VERSION: &str = "airportsdata-20260905";

pub(super) const CSV: &[u8] = include_bytes!("../../../reference-data/airports/airports.csv");

pub const AIRPORTS: ReferenceData = ReferenceData {
    name: "airports",
    version: VERSION,
    load,
};

fn load(conn: &mut PgConnection) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(replace(conn))
}

/// Replaces every row: the CSV is copied into a temporary table as text, then converted
/// (quoted empty fields become null, elevations in decimal feet are rounded).
async fn replace(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    sqlx::raw_sql(
        "create temporary table airports_load (
             icao text, iata text, name text, city text, subd text, country text,
             elevation text, lat text, lon text, tz text, lid text) on commit drop",
    )
    .execute(&mut *conn)
    .await?;
    let mut copy = conn
        .copy_in_raw(
            "copy airports_load from stdin with (format csv, header true, \
             force_null (iata, city, subd, elevation, lid))",
        )
        .await?;
    copy.send(CSV).await?;
    copy.finish().await?;
    sqlx::query("delete from reference.airports")
        .execute(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "insert into reference.airports (icao, iata, local_id, name, city, subdivision, country,
             elevation_ft, latitude, longitude, time_zone)
         select icao, iata, lid, name, city, subd, country, round(elevation::numeric)::integer,
                lat::double precision, lon::double precision, tz
           from airports_load",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(rows)
}
