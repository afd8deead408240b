//! `/api/v1/charter/trips/{id}/documents`: the trip's documents generated as PDFs (the quote,
//! the itinerary, the General Declaration per ICAO Annex 9 Appendix 1, the passenger
//! manifest), each generation kept as a new version with its SHA-256, and every generation and
//! download written to an access log. Each carries the organisation's name. Patients' health
//! data is in none of them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::access_log::{self, Logged};
use super::dto::{
    AccessLog, AssignmentRole, DocumentKind, Passenger, Trip, TripDocument, TripDocumentCreate,
    TripDocumentList,
};
use super::print::Pages;
use super::{CHARTER_MANAGE, CHARTER_READ, acceptance, passengers, quotes, trips};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::domains::contacts::service as contacts;
use crate::domains::fleet::service as fleet;
use crate::domains::settings::service as settings;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::pdf::{self, FontMetrics, PT, Picture, Style};
use crate::kernel::units::wire;
use crate::state::AppState;

pub struct DocumentsApi;

#[derive(ApiResponse)]
enum Created {
    /// The document's new version.
    #[oai(status = 201)]
    Created(Json<TripDocument>),
}

#[derive(ApiResponse)]
enum PdfFile {
    /// The PDF as generated.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// Everything a trip document prints, loaded once.
pub(super) struct Printed<'a> {
    pub issuer: &'a str,
    pub trip: &'a Trip,
    pub customer: Option<String>,
    /// Registration and type designator per aircraft.
    pub aircraft: HashMap<Uuid, (String, String)>,
    /// Contact names (FBOs).
    pub contacts: HashMap<Uuid, String>,
    /// Airport names by code.
    pub airports: HashMap<String, String>,
    pub passengers: Vec<Passenger>,
    /// A line of weather per airport (itinerary).
    pub weather: Vec<String>,
    /// The organisation's logo, at the top right of each page that starts a document or leg.
    pub logo: Option<Picture>,
}

impl Printed<'_> {
    fn airport(&self, code: &str) -> String {
        match self.airports.get(code) {
            Some(name) => format!("{code} ({name})"),
            None => code.to_owned(),
        }
    }

    fn fbo(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.contacts.get(&i).cloned())
            .unwrap_or_else(|| "-".into())
    }

    fn registration(&self, aircraft: Uuid) -> String {
        self.aircraft
            .get(&aircraft)
            .map(|(r, _)| r.clone())
            .unwrap_or_default()
    }

    fn crew_of(&self, seq: i32) -> Vec<String> {
        self.trip
            .crew
            .iter()
            .filter(|a| a.seq == seq)
            .map(|a| {
                let rank = match a.role {
                    AssignmentRole::Pic => "Pilot in command",
                    AssignmentRole::Sic => "Second in command",
                    AssignmentRole::Medical => "Medical crew",
                    AssignmentRole::FlightAttendant => "Flight attendant",
                };
                format!("{}, {rank}", a.name)
            })
            .collect()
    }

    fn aboard(&self, seq: i32) -> Vec<&Passenger> {
        self.passengers
            .iter()
            .filter(|p| p.legs.contains(&seq))
            .collect()
    }
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%MZ").to_string()
}

fn header(p: &mut Pages<'_>, d: &Printed<'_>, title: &str) {
    p.issuer(d.issuer, d.logo.as_ref(), 14 * PT);
    p.down(22 * PT);
    p.text(Pages::LEFT, title, 18 * PT, Style::Bold);
    p.down(18 * PT);
    let customer = d
        .customer
        .as_deref()
        .map(|c| format!(" · for {c}"))
        .unwrap_or_default();
    p.text(
        Pages::LEFT,
        &format!(
            "Trip {} · {}{customer}",
            d.trip.number,
            wire(&d.trip.status)
        ),
        10 * PT,
        Style::Muted,
    );
    p.down(14 * PT);
    p.rule();
    p.down(20 * PT);
}

/// The itinerary: each leg in local and UTC time with its aircraft, FBOs, passengers, fuel and
/// crew; the weather at the trip's airports.
pub(super) fn itinerary(fm: &FontMetrics, d: &Printed<'_>) -> Vec<Vec<pdf::Op>> {
    let mut p = Pages::new(fm);
    header(&mut p, d, "Trip itinerary");
    for l in &d.trip.legs {
        p.text(
            Pages::LEFT,
            &format!(
                "Leg {}: {} → {}{}",
                l.seq,
                d.airport(&l.from),
                d.airport(&l.to),
                if l.positioning { " (positioning)" } else { "" }
            ),
            11 * PT,
            Style::Bold,
        );
        for line in [
            format!(
                "Departs {} local ({}), {}",
                l.departs_local.replace('T', " "),
                l.from_time_zone,
                utc(l.departs_at)
            ),
            format!(
                "Arrives {} local ({}), {}",
                l.arrives_local.replace('T', " "),
                l.to_time_zone,
                utc(l.arrives_at)
            ),
            format!(
                "Aircraft {} · passengers {} · fuel uplift {}",
                d.registration(l.aircraft_id),
                l.passengers,
                l.fuel_uplift_kg
                    .map(|k| format!("{k} kg"))
                    .unwrap_or_else(|| "-".into())
            ),
            format!(
                "FBO at departure: {} · at arrival: {}",
                d.fbo(l.from_fbo_id),
                d.fbo(l.to_fbo_id)
            ),
            format!("Crew: {}", {
                let crew = d.crew_of(l.seq);
                if crew.is_empty() {
                    "not assigned".to_owned()
                } else {
                    crew.join("; ")
                }
            }),
        ] {
            p.down(14 * PT);
            p.text(Pages::LEFT + 12 * PT, &line, 9 * PT, Style::Normal);
        }
        p.down(22 * PT);
    }
    p.text(Pages::LEFT, "Weather", 11 * PT, Style::Bold);
    for w in &d.weather {
        p.down(14 * PT);
        p.text(Pages::LEFT + 12 * PT, w, 8 * PT, Style::Normal);
    }
    p.pages
}

/// One General Declaration per leg, after the model of ICAO Annex 9, Appendix 1.
pub(super) fn general_declaration(fm: &FontMetrics, d: &Printed<'_>) -> Vec<Vec<pdf::Op>> {
    let mut p = Pages::new(fm);
    for (i, l) in d.trip.legs.iter().enumerate() {
        if i > 0 {
            p.new_page();
        }
        if let Some(logo) = &d.logo {
            p.logo(logo);
        }
        p.text_within(
            Pages::LEFT,
            Pages::beside_logo(Pages::LEFT),
            "GENERAL DECLARATION",
            16 * PT,
            Style::Bold,
        );
        p.down(16 * PT);
        p.text(Pages::LEFT, "(Outward/Inward)", 9 * PT, Style::Muted);
        p.down(22 * PT);
        let fields = [
            ("Operator", d.issuer.to_owned()),
            (
                "Marks of Nationality and Registration",
                d.registration(l.aircraft_id),
            ),
            ("Flight No.", format!("{}/{}", d.trip.number, l.seq)),
            ("Date", l.departs_local.get(..10).unwrap_or("").to_owned()),
            ("Departure from (Place)", d.airport(&l.from)),
            ("Arrival at (Place)", d.airport(&l.to)),
        ];
        for (label, value) in fields {
            p.text(Pages::LEFT, label, 9 * PT, Style::Muted);
            p.text(230 * PT, &value, 10 * PT, Style::Normal);
            p.down(16 * PT);
        }
        p.rule();
        p.down(18 * PT);
        p.text(Pages::LEFT, "FLIGHT ROUTING", 10 * PT, Style::Bold);
        p.down(14 * PT);
        let crew = d.crew_of(l.seq);
        let aboard = d.aboard(l.seq);
        p.text(
            Pages::LEFT,
            &format!(
                "Place: {} → {}   Total number of crew: {}   Number of passengers on this \
                 stage: {}   Cargo: none declared",
                l.from,
                l.to,
                crew.len(),
                aboard.len().max(usize::try_from(l.passengers).unwrap_or(0))
            ),
            9 * PT,
            Style::Normal,
        );
        p.down(20 * PT);
        p.text(Pages::LEFT, "Crew (name and rank)", 10 * PT, Style::Bold);
        if crew.is_empty() {
            p.down(14 * PT);
            p.text(Pages::LEFT + 12 * PT, "not assigned", 9 * PT, Style::Muted);
        }
        for c in &crew {
            p.down(14 * PT);
            p.text(Pages::LEFT + 12 * PT, c, 9 * PT, Style::Normal);
        }
        p.down(20 * PT);
        p.text(Pages::LEFT, "Passengers", 10 * PT, Style::Bold);
        p.down(14 * PT);
        p.text(
            Pages::LEFT + 12 * PT,
            &format!("{} on board; names on the passenger manifest", aboard.len()),
            9 * PT,
            Style::Normal,
        );
        p.down(22 * PT);
        p.text(Pages::LEFT, "Declaration of Health", 10 * PT, Style::Bold);
        for line in [
            "Persons on board with illnesses other than airsickness or the effects of accidents,",
            "as well as those cases of illness disembarked during the flight: ..................",
            "Any other condition on board which may lead to the spread of disease: ..............",
            "Details of each disinsecting or sanitary treatment during the flight: ...............",
        ] {
            p.down(14 * PT);
            p.text(Pages::LEFT + 12 * PT, line, 8 * PT, Style::Normal);
        }
        p.down(24 * PT);
        for line in [
            "I declare that all statements and particulars contained in this General Declaration,",
            "and in any supplementary forms required to be presented with this General Declaration,",
            "are complete, exact and true to the best of my knowledge and that all through",
            "passengers will continue/have continued on the flight.",
        ] {
            p.text(Pages::LEFT, line, 8 * PT, Style::Normal);
            p.down(12 * PT);
        }
        p.down(24 * PT);
        p.text(
            Pages::LEFT,
            "SIGNATURE ..............................",
            9 * PT,
            Style::Normal,
        );
        p.down(12 * PT);
        p.text(
            Pages::LEFT,
            "Authorized Agent or Pilot-in-command",
            8 * PT,
            Style::Muted,
        );
    }
    p.pages
}

/// The passengers of each leg with their travel documents.
pub(super) fn passenger_manifest(fm: &FontMetrics, d: &Printed<'_>) -> Vec<Vec<pdf::Op>> {
    let mut p = Pages::new(fm);
    header(&mut p, d, "Passenger manifest");
    for l in d.trip.legs.iter().filter(|l| !l.positioning) {
        p.text(
            Pages::LEFT,
            &format!(
                "Leg {}: {} → {}, departs {} local · {}",
                l.seq,
                l.from,
                l.to,
                l.departs_local.replace('T', " "),
                d.registration(l.aircraft_id)
            ),
            11 * PT,
            Style::Bold,
        );
        let aboard = d.aboard(l.seq);
        if aboard.is_empty() {
            p.down(14 * PT);
            p.text(Pages::LEFT + 12 * PT, "no passengers", 9 * PT, Style::Muted);
        }
        for (n, x) in aboard.iter().enumerate() {
            p.down(14 * PT);
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            p.text(
                Pages::LEFT + 12 * PT,
                &format!(
                    "{}. {} · born {} · {} · passport {} exp. {} · {}",
                    n + 1,
                    x.name,
                    x.date_of_birth
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    opt(&x.nationality),
                    opt(&x.passport_number),
                    x.passport_expiry
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    x.weight_kg
                        .map(|w| format!("{w} kg"))
                        .unwrap_or_else(|| "-".into())
                ),
                9 * PT,
                Style::Normal,
            );
        }
        p.down(22 * PT);
    }
    p.pages
}

/// Loads what the documents print (besides the quote).
async fn printed<'a>(
    conn: &mut PgConnection,
    state: &AppState,
    issuer: &'a str,
    trip: &'a Trip,
    weather: bool,
) -> Result<Printed<'a>> {
    let customer = match trip.customer_id {
        Some(c) => contacts::contact(conn, c).await?.map(|c| c.name),
        None => None,
    };
    let mut aircraft = HashMap::new();
    let mut names = HashMap::new();
    let codes: Vec<&str> = trip
        .legs
        .iter()
        .flat_map(|l| [l.from.as_str(), l.to.as_str()])
        .collect();
    let mut by_code = airports::by_codes(conn, &codes).await?;
    let places: HashMap<String, String> = by_code
        .iter()
        .map(|(code, a)| (code.clone(), a.name.clone()))
        .collect();
    // The trip's airports in the order the legs visit them, each once.
    let mut found = Vec::new();
    for code in codes {
        if let Some(a) = by_code.remove(code) {
            found.push(a);
        }
    }
    for l in &trip.legs {
        if !aircraft.contains_key(&l.aircraft_id)
            && let Some(f) = fleet::aircraft_facts(conn, l.aircraft_id).await?
        {
            aircraft.insert(
                l.aircraft_id,
                (f.registration, f.type_designator.unwrap_or_default()),
            );
        }
        for fbo in [l.from_fbo_id, l.to_fbo_id].into_iter().flatten() {
            if !names.contains_key(&fbo)
                && let Some(c) = contacts::contact(conn, fbo).await?
            {
                names.insert(fbo, c.name);
            }
        }
    }
    let weather = if weather {
        airports::weather_at(conn, &state.settings, &found, trip.ends_at)
            .await?
            .into_iter()
            .map(|w| match (&w.metar, w.available) {
                (Some(m), true) => format!(
                    "{}: {} ({})",
                    w.code,
                    m.raw,
                    m.category.map(|c| wire(&c)).unwrap_or_else(|| "?".into())
                ),
                _ => format!(
                    "{}: weather unavailable{}",
                    w.code,
                    w.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Printed {
        issuer,
        trip,
        customer,
        aircraft,
        contacts: names,
        airports: places,
        passengers: passengers::of_trip(conn, trip.id).await?,
        weather,
        logo: settings::logo(conn).await?,
    })
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    trip_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: DocumentKind,
    version: i32,
    sha256: Vec<u8>,
    size_bytes: i64,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<Row> for TripDocument {
    fn from(r: Row) -> Self {
        TripDocument {
            id: r.id,
            trip_id: r.trip_id,
            kind: r.kind,
            version: r.version,
            sha256: r.sha256.iter().map(|b| format!("{b:02x}")).collect(),
            size_bytes: r.size_bytes,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

const SELECT: &str = "select id, trip_id, kind, version, sha256, octet_length(pdf)::bigint as \
     size_bytes, created_by, created_at from charter_trip_documents";

#[OpenApi(
    prefix_path = "/api/v1/charter/trips",
    tag = "super::Tag::CharterTrips"
)]
impl DocumentsApi {
    /// A trip's generated documents, newest first (each generation a version).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id/documents", method = "get")]
    async fn list(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<TripDocumentList>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        trips::load(&mut tx, id.0, false).await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where trip_id = $1 order by created_at desc, id desc"
        )))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        Ok(Json(TripDocumentList {
            items: rows.into_iter().map(Into::into).collect(),
        }))
    }

    /// Generate a document of the trip as it is now and keep it as the kind's next version:
    /// `itinerary` (legs in local and UTC time, FBOs, crew, weather), `general_declaration`
    /// (one per leg, ICAO Annex 9 Appendix 1), `passenger_manifest`, or `quote` (the accepted
    /// quote of a trip made from one; else `409 no-quote`). The organisation's name is on each;
    /// no patient data is in any.
    ///
    /// Permission: `charter.manage`. Logged in the document's access log as `generated`.
    #[oai(path = "/:id/documents", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TripDocumentCreate>,
    ) -> Result<Created> {
        ctx.require(CHARTER_MANAGE)?;
        let kind = body.0.kind;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        let issuer = ctx.tenant.name.clone();
        let title = format!("{} {}", wire(&kind), trip.number);
        let bytes = match kind {
            DocumentKind::Quote => {
                let quote = trip.quote_id.ok_or_else(|| AppError::Conflict {
                    code: "no-quote",
                    detail: format!("trip {} was not made from a quote", trip.number),
                    field: Some("kind".into()),
                })?;
                let q = quotes::load(&mut tx, quote, false).await?;
                let customer = contacts::contact(&mut tx, q.customer_id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_default();
                let logo = settings::logo(&mut tx).await?;
                acceptance::pdf_of(&q, &issuer, &customer, logo.as_ref())
            }
            DocumentKind::Itinerary => {
                let d = printed(&mut tx, &state, &issuer, &trip, true).await?;
                pdf::render(&title, |fm| itinerary(fm, &d))
            }
            DocumentKind::GeneralDeclaration => {
                let d = printed(&mut tx, &state, &issuer, &trip, false).await?;
                pdf::render(&title, |fm| general_declaration(fm, &d))
            }
            DocumentKind::PassengerManifest => {
                let d = printed(&mut tx, &state, &issuer, &trip, false).await?;
                pdf::render(&title, |fm| passenger_manifest(fm, &d))
            }
        };
        let doc = Uuid::now_v7();
        let row: Row = sqlx::query_as(
            "insert into charter_trip_documents (id, trip_id, kind, version, pdf, sha256,
                 created_by)
             values ($1, $2, $3, (select coalesce(max(version), 0) + 1 from charter_trip_documents
                                   where trip_id = $2 and kind = $3), $4, $5, $6)
             returning id, trip_id, kind, version, sha256, octet_length(pdf)::bigint as size_bytes,
                 created_by, created_at",
        )
        .bind(doc)
        .bind(trip.id)
        .bind(wire(&kind))
        .bind(&bytes)
        .bind(Sha256::digest(&bytes).to_vec())
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        access_log::record(&mut tx, &ctx, Logged::Document, &[doc], "generated").await?;
        tx.commit().await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// A document's PDF, exactly as generated; the download is written to its access log.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/:id/documents/:document_id/pdf", method = "get")]
    async fn pdf(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        document_id: Path<Uuid>,
    ) -> Result<PdfFile> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let found: Option<(Vec<u8>, String, i32)> = sqlx::query_as(
            "select pdf, kind, version from charter_trip_documents where trip_id = $1 and id = $2",
        )
        .bind(id.0)
        .bind(document_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (bytes, kind, version) = found.ok_or(AppError::NotFound("document"))?;
        access_log::record(
            &mut tx,
            &ctx,
            Logged::Document,
            &[document_id.0],
            "downloaded",
        )
        .await?;
        tx.commit().await?;
        Ok(PdfFile::Ok(
            Binary(bytes),
            format!("inline; filename=\"{kind}-v{version}.pdf\""),
        ))
    }

    /// Who generated or downloaded a document, when and from where, newest first (at most
    /// 1,000).
    ///
    /// Permission: `charter.manage`.
    #[oai(path = "/:id/documents/:document_id/access-log", method = "get")]
    async fn access_log(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        document_id: Path<Uuid>,
    ) -> Result<Json<AccessLog>> {
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let log = access_log::list(&mut tx, Logged::Document, id.0, document_id.0).await?;
        tx.end_read();
        Ok(Json(log))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::dto::{CrewAssignment, TripLeg, TripStatus};
    use super::*;
    use crate::kernel::pdf::pdf_text;

    fn trip() -> Trip {
        let at = Utc
            .with_ymd_and_hms(2027, 3, 1, 14, 0, 0)
            .single()
            .expect("time");
        let aircraft = Uuid::from_u128(9);
        let leg = |seq: i32, from: &str, to: &str| TripLeg {
            seq,
            aircraft_id: aircraft,
            from: from.into(),
            to: to.into(),
            positioning: false,
            departs_at: at,
            arrives_at: at + chrono::Duration::hours(3),
            departs_local: "2027-03-01T09:00".into(),
            arrives_local: "2027-03-01T12:00".into(),
            from_time_zone: "America/New_York".into(),
            to_time_zone: "America/Nassau".into(),
            from_fbo_id: None,
            to_fbo_id: None,
            passengers: 1,
            fuel_uplift_kg: Some(900),
            notes: None,
        };
        Trip {
            id: Uuid::nil(),
            number: "T-2027-0003".into(),
            quote_id: None,
            customer_id: None,
            status: TripStatus::Scheduled,
            starts_at: at,
            ends_at: at + chrono::Duration::hours(3),
            legs: vec![leg(1, "KTEB", "MYNN"), leg(2, "MYNN", "KTEB")],
            crew: vec![CrewAssignment {
                seq: 1,
                crew_member_id: Uuid::nil(),
                role: AssignmentRole::Pic,
                name: "Pat Pilot".into(),
            }],
            notes: None,
            release_checks: Vec::new(),
            released_at: None,
            released_by: None,
            cancelled_at: None,
            cancel_reason: None,
            invoice_id: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    fn printed(trip: &Trip) -> Printed<'_> {
        let mut aircraft = HashMap::new();
        aircraft.insert(Uuid::from_u128(9), ("N525CJ".into(), "C25A".into()));
        let mut airports = HashMap::new();
        airports.insert(
            "MYNN".into(),
            "Lynden Pindling International Airport".into(),
        );
        Printed {
            issuer: "Alpine Air Ambulance",
            trip,
            customer: Some("Acme".into()),
            aircraft,
            contacts: HashMap::new(),
            airports,
            passengers: vec![Passenger {
                id: Uuid::nil(),
                trip_id: Uuid::nil(),
                name: "Jane Doe".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 2, 29),
                nationality: Some("US".into()),
                passport_number: Some("X1234567".into()),
                passport_expiry: chrono::NaiveDate::from_ymd_opt(2030, 1, 1),
                weight_kg: Some(70),
                legs: vec![1],
                notes: None,
                version: 1,
                created_at: trip.created_at,
                updated_at: trip.created_at,
            }],
            weather: vec!["KTEB: weather unavailable (not configured)".into()],
            logo: None,
        }
    }

    #[test]
    fn the_general_declaration_reads_as_annex_9_lays_it_out() {
        let t = trip();
        let d = printed(&t);
        let text = pdf_text(&pdf::render("gendec", |fm| general_declaration(fm, &d)));
        for needle in [
            "GENERAL DECLARATION",
            "(Outward/Inward)",
            "Operator",
            "Alpine Air Ambulance",
            "Marks of Nationality and Registration",
            "N525CJ",
            "Flight No.",
            "T-2027-0003/1",
            "2027-03-01",
            "Departure from (Place)",
            "KTEB",
            "Arrival at (Place)",
            "MYNN (Lynden Pindling International Airport)",
            "Total number of crew: 1",
            "Number of passengers on this stage: 1",
            "Pat Pilot, Pilot in command",
            "Declaration of Health",
            "complete, exact and true",
            "Authorized Agent or Pilot-in-command",
            "T-2027-0003/2",
        ] {
            assert!(text.contains(needle), "{needle:?} in {text}");
        }
        // One page per leg.
        assert_eq!(text.matches("GENERAL DECLARATION").count(), 2);
    }

    #[test]
    fn the_manifest_and_the_itinerary_print_what_they_list() {
        let t = trip();
        let d = printed(&t);
        let manifest = pdf_text(&pdf::render("m", |fm| passenger_manifest(fm, &d)));
        for needle in [
            "Passenger manifest",
            "Jane Doe",
            "born 1980-02-29",
            "passport X1234567 exp. 2030-01-01",
            "no passengers",
        ] {
            assert!(manifest.contains(needle), "{needle:?} in {manifest}");
        }
        let itinerary = pdf_text(&pdf::render("i", |fm| itinerary(fm, &d)));
        for needle in [
            "Trip itinerary",
            "Departs 2027-03-01 09:00 local (America/New_York), 2027-03-01 14:00Z",
            "fuel uplift 900 kg",
            "Crew: Pat Pilot, Pilot in command",
            "Crew: not assigned",
            "KTEB: weather unavailable",
        ] {
            assert!(itinerary.contains(needle), "{needle:?} in {itinerary}");
        }
    }
}
