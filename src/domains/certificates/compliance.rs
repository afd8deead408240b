//! `/api/v1/compliance/...`: the compliance engine's answers over HTTP. "May person P act as
//! ROLE in aircraft A at time T, by day or night, VFR or IFR?" with every requirement, and the
//! organisation's list of what lapses in the next days.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::api::{may_see, sees_everyone};
use super::service::{self, Ask, FaaPrivileges, FlightRules, Role, State};
use super::{CERTIFICATES_READ, facts};
use crate::auth::TenantCtx;
use crate::compliance::Finding;
use crate::compliance::assess::{Authority, lapsing};
use crate::compliance::calendar::days_after;
use crate::error::{AppError, Result};
use crate::kernel::{AircraftId, UserId};

/// The role asked about.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "ComplianceRole", rename_all = "snake_case")]
pub enum RoleParam {
    /// Pilot in command, no passengers.
    Pic,
    /// Pilot in command carrying passengers (adds 14 CFR 61.57(a), and (b) at night; under
    /// EASA, FCL.060(b)).
    PicWithPassengers,
    /// A student pilot flying solo (adds the 14 CFR 61.87(n) solo endorsement).
    SoloStudent,
    /// A flight instructor giving instruction as pilot in command.
    Instructor,
    /// Second in command: a private certificate or higher with the category and class rating,
    /// and for an aircraft that requires a type rating the type rating and three full-stop
    /// landings in the type in the previous 12 calendar months (14 CFR 61.55); an instrument
    /// rating under IFR. Under EASA, a licence with the class or type rating (FCL.700).
    Sic,
    /// The safety pilot of a simulated instrument flight: a private certificate or higher with
    /// the category and class rating, and a medical (14 CFR 91.109(c)(1)).
    SafetyPilot,
}

/// Visual or instrument flight rules (IFR adds 14 CFR 61.57(c)).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Rules {
    Vfr,
    Ifr,
}

/// The privileges exercised: what the medical must support (14 CFR 61.23(a)).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Privileges {
    AirlineTransport,
    Commercial,
    Private,
}

/// Whether a requirement is met: `met`, `expiring` (met, but lapses within `warn_days`),
/// `failed`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "ComplianceState", rename_all = "snake_case")]
pub enum StateDto {
    Met,
    Expiring,
    Failed,
}

impl From<State> for StateDto {
    fn from(s: State) -> Self {
        match s {
            State::Met => Self::Met,
            State::Expiring => Self::Expiring,
            State::Failed => Self::Failed,
        }
    }
}

/// One requirement and its answer.
#[derive(Object, Debug)]
#[oai(rename = "ComplianceFinding")]
pub struct FindingDto {
    /// Stable key of the rule, e.g. `faa.61.57.b` (docs/compliance.md lists them).
    pub rule: String,
    /// The regulation applied, e.g. `14 CFR 61.57(b)`.
    pub regulation: String,
    pub state: StateDto,
    /// The last day (inclusive, the organisation's local date) the requirement is met on the
    /// facts known; null when they never meet it.
    pub valid_until: Option<NaiveDate>,
    /// The dates of the facts the answer rests on (the landings counted, the examination).
    pub evidence: Vec<NaiveDate>,
    /// What it means, for a person to read.
    pub detail: String,
}

impl From<Finding> for FindingDto {
    fn from(f: Finding) -> Self {
        FindingDto {
            rule: f.rule.to_owned(),
            regulation: f.regulation.to_owned(),
            state: f.state.into(),
            valid_until: f.valid_until,
            evidence: f.evidence,
            detail: f.detail,
        }
    }
}

/// The answer about one person.
#[derive(Object, Debug)]
pub struct ComplianceAnswer {
    pub person_id: UserId,
    pub aircraft_id: AircraftId,
    /// The aircraft's type designator, which endorsements and checkouts name.
    pub type_code: String,
    /// The organisation's local date of `at`: the day every window is counted to.
    pub on: NaiveDate,
    /// `faa` or `easa` (the `compliance.authority` setting): whose medical rules apply.
    pub authority: String,
    /// The worst state among the findings.
    pub state: StateDto,
    pub findings: Vec<FindingDto>,
}

/// Something a person holds that lapses within the window asked about.
#[derive(Object, Debug)]
pub struct ExpiringItem {
    pub person_id: UserId,
    pub person_name: String,
    pub rule: String,
    pub regulation: String,
    /// The aircraft type of a solo endorsement or a checkout.
    pub type_code: Option<String>,
    /// The last day it is met.
    pub valid_until: NaiveDate,
    pub detail: String,
}

/// What lapses between `on` and `until`, soonest first.
#[derive(Object, Debug)]
pub struct ExpiringList {
    pub on: NaiveDate,
    pub until: NaiveDate,
    pub items: Vec<ExpiringItem>,
}

/// The people a list covers at most (each costs two statements).
const MAX_PEOPLE: i64 = 5_000;

pub struct ComplianceApi;

#[OpenApi(
    prefix_path = "/api/v1/compliance",
    tag = "crate::domains::certificates::Tag::Compliance"
)]
impl ComplianceApi {
    /// May this person act as `role` in this aircraft at `at`, by day or night, VFR or IFR?
    /// Every requirement that applies (medical, flight review, passenger, night and instrument
    /// currency, solo endorsement, instructor certificate, the school's checkout) with its
    /// regulation, state and evidence, and the worst state. A person other than the caller
    /// needs `certificates.manage` or `certificates.endorse` (else `404`).
    ///
    /// Permission: `certificates.read`.
    #[oai(path = "/people/:id", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn person(
        &self,
        ctx: TenantCtx,
        id: Path<UserId>,
        /// The aircraft of the flight.
        aircraft_id: Query<AircraftId>,
        /// Default `pic`. `pic_with_passengers` adds passenger currency (FAA 61.57(a), (b);
        /// EASA FCL.060(b)); `sic` (14 CFR 61.55) and `safety_pilot` (91.109(c)) read the
        /// person's pilot certificates and ratings.
        role: Query<Option<RoleParam>>,
        /// The moment of the flight (RFC 3339); default now.
        at: Query<Option<DateTime<Utc>>>,
        /// Any part of the flight at night (default false).
        night: Query<Option<bool>>,
        /// Default `vfr`.
        flight_rules: Query<Option<Rules>>,
        /// Default `private`.
        privileges: Query<Option<Privileges>>,
        /// Days ahead in which a requirement still met is `expiring`, 0..=365 (default 30).
        #[oai(validator(minimum(value = "0"), maximum(value = "365")))]
        warn_days: Query<Option<u32>>,
        /// Whether the school's checkout in the type is required (default false).
        checkout: Query<Option<bool>>,
    ) -> Result<Json<ComplianceAnswer>> {
        ctx.require(CERTIFICATES_READ)?;
        if !may_see(&ctx, id.0) {
            return Err(AppError::NotFound("person"));
        }
        let mut tx = ctx.begin().await?;
        let exists: bool = sqlx::query_scalar("select exists(select 1 from users where id = $1)")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(AppError::NotFound("person"));
        }
        let ask = Ask {
            role: match role.0.unwrap_or(RoleParam::Pic) {
                RoleParam::Pic => Role::Pic,
                RoleParam::PicWithPassengers => Role::PicWithPassengers,
                RoleParam::SoloStudent => Role::SoloStudent,
                RoleParam::Instructor => Role::Instructor,
                RoleParam::Sic => Role::Sic,
                RoleParam::SafetyPilot => Role::SafetyPilot,
            },
            at: at.0.unwrap_or_else(Utc::now),
            night: night.0.unwrap_or(false),
            rules: match flight_rules.0 {
                Some(Rules::Ifr) => FlightRules::Ifr,
                _ => FlightRules::Vfr,
            },
            privileges: match privileges.0 {
                Some(Privileges::AirlineTransport) => FaaPrivileges::AirlineTransport,
                Some(Privileges::Commercial) => FaaPrivileges::Commercial,
                _ => FaaPrivileges::Private,
            },
            warn_days: warn_days.0.unwrap_or(30),
            checkout: checkout.0.unwrap_or(false),
        };
        let (loaded, a) = facts::load(&mut tx, id.0, ask.at, Some(aircraft_id.0)).await?;
        tx.end_read();
        let aircraft = service::aircraft_from_json(&a.ok_or_else(|| {
            AppError::validation("aircraft_id", "names no aircraft of this organisation")
        })?);
        let answer = service::judge(&loaded, &aircraft, &ask);
        Ok(Json(ComplianceAnswer {
            person_id: id.0,
            aircraft_id: aircraft_id.0,
            type_code: aircraft.type_code,
            on: loaded.on,
            authority: authority_name(loaded.authority).to_owned(),
            state: answer.state.into(),
            findings: answer.findings.into_iter().map(Into::into).collect(),
        }))
    }

    /// What lapses in the next `days` days (today included): medicals (for the privileges of
    /// the highest pilot certificate held), flight reviews, solo endorsements, checkouts and
    /// instructor certificates, soonest first. With `certificates.manage` or
    /// `certificates.endorse`, everyone's (up to 5,000 people with records); otherwise the
    /// caller's own.
    ///
    /// Permission: `certificates.read`.
    #[oai(path = "/expiring", method = "get")]
    async fn expiring(
        &self,
        ctx: TenantCtx,
        /// The window in days, 0..=365 (default 30).
        #[oai(validator(minimum(value = "0"), maximum(value = "365")))]
        days: Query<Option<u32>>,
    ) -> Result<Json<ExpiringList>> {
        ctx.require(CERTIFICATES_READ)?;
        let days = days.0.unwrap_or(30);
        let mut tx = ctx.begin().await?;
        let only = (!sees_everyone(&ctx)).then_some(ctx.user_id);
        let people = people_with_records(&mut tx, only).await?;
        let now = Utc::now();
        let mut items = Vec::new();
        let mut window = None;
        for (person, name) in people {
            let (loaded, _) = facts::load(&mut tx, person, now, None).await?;
            let until = days_after(loaded.on, days);
            window = Some((loaded.on, until));
            for l in lapsing(
                &loaded.person,
                loaded.on,
                loaded.authority,
                loaded.privileges,
                days,
            ) {
                let Some(valid_until) = l.finding.valid_until else {
                    continue;
                };
                if valid_until >= loaded.on && valid_until <= until {
                    items.push(ExpiringItem {
                        person_id: person,
                        person_name: name.clone(),
                        rule: l.finding.rule.to_owned(),
                        regulation: l.finding.regulation.to_owned(),
                        type_code: l.type_code,
                        valid_until,
                        detail: l.finding.detail,
                    });
                }
            }
        }
        tx.end_read();
        items.sort_by(|a, b| {
            (a.valid_until, &a.person_name, &a.rule).cmp(&(b.valid_until, &b.person_name, &b.rule))
        });
        let today = now.date_naive();
        let (on, until) = window.unwrap_or((today, days_after(today, days)));
        Ok(Json(ExpiringList { on, until, items }))
    }
}

fn authority_name(a: Authority) -> &'static str {
    match a {
        Authority::Faa => "faa",
        Authority::Easa => "easa",
    }
}

/// Active people with any certificate, medical or endorsement on record (one person's when
/// `only` is set), by name.
pub(super) async fn people_with_records(
    conn: &mut sqlx::PgConnection,
    only: Option<UserId>,
) -> Result<Vec<(UserId, String)>> {
    Ok(sqlx::query_as(
        "select u.id, u.name from users u
         where u.is_active and ($1::uuid is null or u.id = $1)
           and (exists(select 1 from medical_certificates m where m.person_id = u.id)
                or exists(select 1 from pilot_certificates c where c.person_id = u.id)
                or exists(select 1 from endorsements e where e.person_id = u.id and e.revoked_at is null))
         order by u.name, u.id limit $2",
    )
    .bind(only)
    .bind(MAX_PEOPLE)
    .fetch_all(conn)
    .await?)
}
