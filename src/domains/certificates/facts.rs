//! The facts the compliance engine reads, loaded for one person: their medical certificates,
//! endorsements, instructor certificate (one statement) and logbook entries (the flights
//! domain's `currency_entries`); and the validity of a stored medical or endorsement, computed
//! by `crate::compliance` on the way out.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;

use super::dto::{EndorsementKind, MedicalClass, MedicalValidity};
use crate::compliance::assess::{Authority, Checkout, Person, SoloEndorsement};
use crate::compliance::calendar::{days_after, end_of_nth_month_after};
use crate::compliance::crew::Held;
use crate::compliance::currency::Entry;
use crate::compliance::easa::{self, EasaClass, EasaMedical, EasaPrivileges};
use crate::compliance::medical::{self, BasicMed, FaaClass, FaaMedical, FaaPrivileges};
use crate::domains::fleet::service as fleet;
use crate::domains::flights::service as flights;
use crate::error::Result;
use crate::kernel::{AircraftId, UserId};
use crate::timezone::TenantClock;

// How far back the logbook is read (25 months, in `LOAD_SQL`): the longest window a rule looks
// at is the flight review's 24 calendar months (14 CFR 61.56(c)), plus the month the question
// is about.

/// The FAA privileges, named as the API shows them.
const FAA_PRIVILEGES: &[(FaaPrivileges, &str)] = &[
    (FaaPrivileges::AirlineTransport, "airline_transport"),
    (FaaPrivileges::Commercial, "commercial"),
    (FaaPrivileges::Private, "private"),
];

/// The EASA privileges, named as the API shows them.
const EASA_PRIVILEGES: &[(EasaPrivileges, &str)] = &[
    (EasaPrivileges::Commercial, "commercial"),
    (
        EasaPrivileges::SinglePilotCatPassengers,
        "single_pilot_cat_passengers",
    ),
    (EasaPrivileges::Private, "private"),
    (EasaPrivileges::Lapl, "lapl"),
];

fn faa_class(c: MedicalClass) -> Option<FaaClass> {
    match c {
        MedicalClass::First => Some(FaaClass::First),
        MedicalClass::Second => Some(FaaClass::Second),
        MedicalClass::Third => Some(FaaClass::Third),
        _ => None,
    }
}

fn easa_class(c: MedicalClass) -> Option<EasaClass> {
    match c {
        MedicalClass::Class1 => Some(EasaClass::Class1),
        MedicalClass::Class2 => Some(EasaClass::Class2),
        MedicalClass::Lapl => Some(EasaClass::Lapl),
        _ => None,
    }
}

/// For each kind of privileges a medical supports, until when and under which paragraph.
pub fn medical_validity(
    class: MedicalClass,
    examined_on: NaiveDate,
    born: NaiveDate,
    course_on: Option<NaiveDate>,
) -> Vec<MedicalValidity> {
    let row = |privileges: &str, (valid_until, regulation): (NaiveDate, &str)| MedicalValidity {
        privileges: privileges.to_owned(),
        valid_until,
        regulation: regulation.to_owned(),
    };
    if let Some(class) = faa_class(class) {
        let m = FaaMedical { class, examined_on };
        return FAA_PRIVILEGES
            .iter()
            .filter_map(|(p, name)| Some(row(name, medical::faa_valid_until(&m, born, *p)?)))
            .collect();
    }
    if let Some(class) = easa_class(class) {
        let m = EasaMedical { class, examined_on };
        return EASA_PRIVILEGES
            .iter()
            .filter_map(|(p, name)| Some(row(name, easa::valid_until(&m, born, *p)?)))
            .collect();
    }
    course_on
        .map(|course_on| {
            let b = BasicMed {
                examined_on,
                course_on,
            };
            vec![row(
                "private",
                (medical::basic_med_valid_until(&b), "14 CFR 61.23(c)(3)"),
            )]
        })
        .unwrap_or_default()
}

/// The last day an endorsement allows by itself; `None` when it does not lapse.
pub fn endorsement_valid_until(
    kind: EndorsementKind,
    given_on: NaiveDate,
    recency_days: Option<i32>,
) -> Option<NaiveDate> {
    match kind {
        // 14 CFR 61.87(n)(2), 61.87(o): within the 90 days preceding the flight.
        EndorsementKind::Solo | EndorsementKind::SoloNight => Some(days_after(given_on, 90)),
        // 14 CFR 61.39(a)(6)(i): training within the 2 calendar months preceding the month of
        // the application.
        EndorsementKind::PracticalTest => Some(end_of_nth_month_after(given_on, 2)),
        EndorsementKind::Checkout => recency_days
            .and_then(|d| u32::try_from(d).ok())
            .map(|d| days_after(given_on, d)),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
struct MedicalFact {
    class: String,
    examined_on: NaiveDate,
    born: NaiveDate,
    course_on: Option<NaiveDate>,
}

#[derive(serde::Deserialize)]
struct EndorsementFact {
    kind: String,
    type_code: Option<String>,
    given_on: NaiveDate,
    recency_days: Option<u32>,
}

#[derive(serde::Deserialize)]
struct HeldFact {
    kind: String,
    ratings: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    medicals: Json<Vec<MedicalFact>>,
    endorsements: Json<Vec<EndorsementFact>>,
    /// One element per flight instructor certificate: its expiry, or null.
    instructor: Option<Vec<Option<NaiveDate>>>,
    authority: Option<String>,
    tz: Option<String>,
    /// The pilot certificates held (unexpired on the day asked about), with their ratings.
    held: Json<Vec<HeldFact>>,
    aircraft: Option<serde_json::Value>,
    #[sqlx(flatten)]
    entries: flights::CurrencyColumns,
}

/// A person's facts as of a moment, with what the question is asked in.
pub struct Loaded {
    pub person: Person,
    pub authority: Authority,
    /// The organisation's local date of the moment asked about.
    pub on: NaiveDate,
    /// The highest privileges the person's pilot certificates give (what their medical is
    /// measured against when no flight says otherwise).
    pub privileges: FaaPrivileges,
}

/// The one statement of [`load`]: the person's certificates, the organisation's authority and
/// time zone, the logbook from the first day of the 25th calendar month before the local date
/// of `$2` (the flights domain's subquery), and the aircraft `$3` (the fleet domain's), so an
/// answer costs one round trip however many rules ask.
static LOAD_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with s as (select coalesce((select value #>> '{{}}' from settings where key = 'timezone'), 'UTC') as tz)
         select
             coalesce((select jsonb_agg(jsonb_build_object('class', class, 'examined_on', examined_on,
                          'born', date_of_birth, 'course_on', course_on) order by examined_on)
                       from medical_certificates where person_id = $1), '[]') as medicals,
             coalesce((select jsonb_agg(jsonb_build_object('kind', kind, 'type_code', type_code,
                          'given_on', given_on, 'recency_days', recency_days))
                       from endorsements
                       where person_id = $1 and revoked_at is null
                         and kind in ('solo', 'flight_review', 'ipc', 'checkout')), '[]') as endorsements,
             (select array_agg(expires_on) from pilot_certificates
              where person_id = $1 and kind = 'flight_instructor') as instructor,
             (select value #>> '{{}}' from settings where key = 'compliance.authority') as authority,
             s.tz as tz,
             coalesce((select jsonb_agg(jsonb_build_object('kind', kind, 'ratings', ratings))
                       from pilot_certificates
                       where person_id = $1
                         and (expires_on is null or expires_on >= ($2::timestamptz at time zone s.tz)::date)), '[]') as held,
             {} as aircraft,
             e.*
         from s, {}",
        fleet::compliance_json_sql("$3"),
        flights::currency_lateral_sql(
            "$1",
            "(date_trunc('month', ($2::timestamptz at time zone s.tz)::date) - interval '25 months')::date",
            "e"
        ),
    )
});

/// Everything the engine needs about `person` at `at` (their logbook from 25 calendar months
/// before that local date), the organisation's authority and clock, and the aircraft `aircraft`
/// as a jsonb object (null when not asked or not found): one statement.
pub async fn load(
    conn: &mut PgConnection,
    person: UserId,
    at: DateTime<Utc>,
    aircraft: Option<AircraftId>,
) -> Result<(Loaded, Option<serde_json::Value>)> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(LOAD_SQL.as_str()))
        .bind(person)
        .bind(at)
        .bind(aircraft)
        .fetch_one(&mut *conn)
        .await?;
    let clock = TenantClock::from_setting(row.tz.as_deref());
    let on = clock.date_of(at);
    let mut entries = row.entries.entries()?;
    let mut p = Person {
        // The latest examination's date of birth (they are one person's; the latest is the
        // most likely corrected).
        born: row.medicals.last().map(|m| m.born),
        ..Person::default()
    };
    for m in &row.medicals.0 {
        let class = MedicalClass::try_from(m.class.clone()).ok();
        match (
            class.and_then(faa_class),
            class.and_then(easa_class),
            m.course_on,
        ) {
            (Some(class), _, _) => p.medicals.push(FaaMedical {
                class,
                examined_on: m.examined_on,
            }),
            (_, Some(class), _) => p.easa_medicals.push(EasaMedical {
                class,
                examined_on: m.examined_on,
            }),
            (None, None, Some(course_on)) => {
                p.basic_med = Some(BasicMed {
                    examined_on: m.examined_on,
                    course_on,
                })
            }
            _ => {}
        }
    }
    for e in row.endorsements.0 {
        match (e.kind.as_str(), e.type_code) {
            ("solo", Some(type_code)) => p.solo_endorsements.push(SoloEndorsement {
                type_code,
                given_on: e.given_on,
            }),
            ("checkout", Some(type_code)) => p.checkouts.push(Checkout {
                type_code,
                given_on: e.given_on,
                recency_days: e.recency_days.unwrap_or(0),
            }),
            // A flight review or IPC endorsed without a logbook entry of its own counts as one.
            ("flight_review" | "ipc", _) => entries.push(Entry {
                date: e.given_on,
                flight_review: e.kind == "flight_review",
                ipc: e.kind == "ipc",
                ..Entry::default()
            }),
            _ => {}
        }
    }
    p.entries = entries;
    p.held = row
        .held
        .0
        .into_iter()
        .map(|h| Held {
            kind: h.kind,
            ratings: h.ratings,
        })
        .collect();
    let holds = |kind: &str| p.held.iter().any(|h| h.kind == kind);
    let privileges = if holds("atp") {
        FaaPrivileges::AirlineTransport
    } else if holds("commercial") {
        FaaPrivileges::Commercial
    } else {
        FaaPrivileges::Private
    };
    // No expiry beats any expiry; otherwise the latest.
    p.instructor_certificate = row.instructor.and_then(|certs| {
        certs
            .iter()
            .copied()
            .max_by_key(|e| e.unwrap_or(NaiveDate::MAX))
    });
    Ok((
        Loaded {
            person: p,
            authority: match row.authority.as_deref() {
                Some("easa") => Authority::Easa,
                _ => Authority::Faa,
            },
            on,
            privileges,
        },
        row.aircraft,
    ))
}
