//! Request and response objects of the certificates domain (they are the OpenAPI schema).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::kernel::UserId;

/// The authority that issued a certificate.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    /// United States, Federal Aviation Administration (14 CFR).
    Faa,
    /// European Union Aviation Safety Agency (Part-FCL, Part-MED).
    Easa,
    /// Another State's authority (pilot certificates only).
    Other,
}

/// The authority whose medical rules a medical certificate follows.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MedicalAuthority {
    /// 14 CFR 61.23.
    Faa,
    /// Part-MED.
    Easa,
}

/// The kind of pilot certificate (licence).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    Student,
    Sport,
    Recreational,
    /// EASA light aircraft pilot licence.
    Lapl,
    Private,
    Commercial,
    /// Airline transport pilot.
    Atp,
    FlightInstructor,
    GroundInstructor,
    RemotePilot,
}

/// The class of a medical certificate: `first`, `second`, `third`, `basic_med` (FAA);
/// `class_1`, `class_2`, `lapl` (EASA).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MedicalClass {
    First,
    Second,
    Third,
    BasicMed,
    #[oai(rename = "class_1")]
    #[serde(rename = "class_1")]
    Class1,
    #[oai(rename = "class_2")]
    #[serde(rename = "class_2")]
    Class2,
    Lapl,
}

/// An instructor endorsement (AC 61-65) or the school's aircraft checkout.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EndorsementKind {
    /// 14 CFR 61.87(b): pre-solo aeronautical knowledge test.
    PreSoloKnowledge,
    /// 14 CFR 61.87(c): pre-solo flight training in the make and model.
    PreSoloFlight,
    /// 14 CFR 61.87(n): solo flight in the make and model, good for 90 days.
    Solo,
    /// 14 CFR 61.93(c): solo cross-country in the make and model.
    SoloCrossCountry,
    /// 14 CFR 61.87(o): solo flight at night.
    SoloNight,
    /// 14 CFR 61.31(i): tailwheel airplanes.
    Tailwheel,
    /// 14 CFR 61.31(e): complex airplanes.
    Complex,
    /// 14 CFR 61.31(f): high-performance airplanes.
    HighPerformance,
    /// 14 CFR 61.31(g): pressurised aircraft at high altitude.
    HighAltitude,
    /// 14 CFR 61.35(a)(1): ready for a knowledge test.
    KnowledgeTest,
    /// 14 CFR 61.39(a)(6): ready for a practical test, training within the preceding 2
    /// calendar months.
    PracticalTest,
    /// 14 CFR 61.56(a): flight review completed (counts toward the 61.56 currency).
    FlightReview,
    /// 14 CFR 61.57(d): instrument proficiency check completed.
    Ipc,
    /// The school's checkout in an aircraft type, with its own recency (`recency_days`).
    Checkout,
}

text_enum!(
    Authority,
    MedicalAuthority,
    CertificateKind,
    MedicalClass,
    EndorsementKind
);

/// A pilot certificate with its ratings.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct PilotCertificate {
    pub id: Uuid,
    pub person_id: UserId,
    pub authority: Authority,
    pub kind: CertificateKind,
    /// The certificate number as printed.
    pub number: Option<String>,
    pub issued_on: NaiveDate,
    /// Only where the certificate itself carries an expiry date.
    pub expires_on: Option<NaiveDate>,
    /// Category and class (`airplane_single_engine_land`, ...), `instrument_airplane`,
    /// `instrument_helicopter`, `instrument_powered_lift`, `type:<designator>`, instructor
    /// ratings (`cfi_airplane_single_engine`, `cfi_instrument_airplane`, ...).
    pub ratings: Vec<String>,
    pub limitations: Option<String>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new pilot certificate.
#[derive(Object)]
pub struct PilotCertificateCreate {
    /// The holder; absent: the caller.
    pub person_id: Option<UserId>,
    pub authority: Authority,
    pub kind: CertificateKind,
    #[oai(validator(min_length = 1, max_length = 40))]
    pub number: Option<String>,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    /// The ratings held (as in `PilotCertificate`): at most 40, each once.
    #[oai(validator(
        max_items = 40,
        unique_items,
        pattern = "^(airplane_(single|multi)_engine_(land|sea)|rotorcraft_(helicopter|gyroplane)|glider|lighter_than_air_(airship|balloon)|powered_lift|powered_parachute|weight_shift_control|instrument_(airplane|helicopter|powered_lift)|cfi_(airplane_single_engine|airplane_multi_engine|instrument_airplane|instrument_helicopter|helicopter|gyroplane|glider|sport)|type:[A-Z0-9-]{2,10})$"
    ))]
    pub ratings: Option<Vec<String>>,
    #[oai(validator(max_length = 2000))]
    pub limitations: Option<String>,
}

/// A partial update of a pilot certificate: absent fields stay, `null` clears.
#[derive(Object)]
pub struct PilotCertificateUpdate {
    #[oai(validator(min_length = 1, max_length = 40))]
    pub number: MaybeUndefined<String>,
    pub issued_on: Option<NaiveDate>,
    pub expires_on: MaybeUndefined<NaiveDate>,
    /// Replaces the ratings: at most 40, each once.
    #[oai(validator(
        max_items = 40,
        unique_items,
        pattern = "^(airplane_(single|multi)_engine_(land|sea)|rotorcraft_(helicopter|gyroplane)|glider|lighter_than_air_(airship|balloon)|powered_lift|powered_parachute|weight_shift_control|instrument_(airplane|helicopter|powered_lift)|cfi_(airplane_single_engine|airplane_multi_engine|instrument_airplane|instrument_helicopter|helicopter|gyroplane|glider|sport)|type:[A-Z0-9-]{2,10})$"
    ))]
    pub ratings: Option<Vec<String>>,
    #[oai(validator(max_length = 2000))]
    pub limitations: MaybeUndefined<String>,
    /// When given, the update applies only if the certificate still has this version (else
    /// `409`).
    pub version: Option<i32>,
}

/// A page of pilot certificates, newest first.
#[derive(Object)]
pub struct PilotCertificatePage {
    pub items: Vec<PilotCertificate>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// How long a medical certificate supports some privileges, computed (14 CFR 61.23(d),
/// Part-MED MED.A.045).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct MedicalValidity {
    /// `airline_transport`, `commercial`, `private` (FAA); `commercial`,
    /// `single_pilot_cat_passengers`, `private`, `lapl` (EASA).
    pub privileges: String,
    /// The last day (inclusive) the certificate supports them.
    pub valid_until: NaiveDate,
    /// The paragraph that sets the duration.
    pub regulation: String,
}

/// A medical certificate. Its validity is computed from the class, the day of the examination
/// and the age on that day.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Medical {
    pub id: Uuid,
    pub person_id: UserId,
    pub authority: MedicalAuthority,
    pub class: MedicalClass,
    pub examined_on: NaiveDate,
    pub date_of_birth: NaiveDate,
    /// BasicMed only: the day of the medical education course.
    pub course_on: Option<NaiveDate>,
    pub limitations: Option<String>,
    /// For each kind of privileges the certificate supports, until when.
    pub validity: Vec<MedicalValidity>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new medical certificate. The class must be one of the authority's; `course_on` is
/// required for BasicMed and refused otherwise; `date_of_birth` is before `examined_on`, and
/// neither the examination nor the course is in the future.
#[derive(Object)]
pub struct MedicalCreate {
    /// The holder; absent: the caller.
    pub person_id: Option<UserId>,
    pub authority: MedicalAuthority,
    pub class: MedicalClass,
    pub examined_on: NaiveDate,
    pub date_of_birth: NaiveDate,
    pub course_on: Option<NaiveDate>,
    #[oai(validator(max_length = 2000))]
    pub limitations: Option<String>,
}

/// A partial update of a medical certificate: absent fields stay, `null` clears.
#[derive(Object)]
pub struct MedicalUpdate {
    pub examined_on: Option<NaiveDate>,
    pub date_of_birth: Option<NaiveDate>,
    pub course_on: MaybeUndefined<NaiveDate>,
    #[oai(validator(max_length = 2000))]
    pub limitations: MaybeUndefined<String>,
    /// When given, the update applies only if the medical still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of medical certificates, latest examination first.
#[derive(Object)]
pub struct MedicalPage {
    pub items: Vec<Medical>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// An endorsement as given. Endorsements are never edited: a wrong one is revoked (kept, with
/// the reason) and given again.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Endorsement {
    pub id: Uuid,
    pub person_id: UserId,
    pub kind: EndorsementKind,
    /// The aircraft type designator (make and model) it names.
    pub type_code: Option<String>,
    pub given_on: NaiveDate,
    /// Checkouts: good for this many days after the checkout or the last flight in the type.
    pub recency_days: Option<i32>,
    /// The last day the endorsement itself allows (solo: 90 days, 14 CFR 61.87(n)(2); practical
    /// test: the end of the 2nd calendar month after, 61.39(a)(6); checkout: `recency_days`
    /// after it, before counting later flights in the type); null when it does not lapse.
    pub valid_until: Option<NaiveDate>,
    pub instructor_id: Option<UserId>,
    pub instructor_name: String,
    pub instructor_certificate_number: String,
    pub instructor_certificate_expires_on: Option<NaiveDate>,
    /// The wording as signed.
    pub text: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<UserId>,
    pub revoke_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new endorsement, given by the caller as the instructor.
#[derive(Object)]
pub struct EndorsementCreate {
    pub person_id: UserId,
    pub kind: EndorsementKind,
    /// Required for `pre_solo_flight`, `solo`, `solo_cross_country`, `solo_night` and
    /// `checkout`: the ICAO type designator, e.g. `C172`.
    #[oai(validator(pattern = "^[A-Z0-9]{2,4}$"))]
    pub type_code: Option<String>,
    /// Absent: today in the organisation's time zone. Never in the future.
    pub given_on: Option<NaiveDate>,
    /// Checkouts only (required there): 1..=3650 days.
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub recency_days: Option<i32>,
    /// The instructor's certificate number, as signed under the endorsement.
    #[oai(validator(min_length = 1, max_length = 40))]
    pub instructor_certificate_number: String,
    pub instructor_certificate_expires_on: Option<NaiveDate>,
    #[oai(validator(max_length = 4000))]
    pub text: Option<String>,
}

/// Why an endorsement is revoked.
#[derive(Object)]
pub struct EndorsementRevoke {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub reason: String,
}

/// A page of endorsements, newest first.
#[derive(Object)]
pub struct EndorsementPage {
    pub items: Vec<Endorsement>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
