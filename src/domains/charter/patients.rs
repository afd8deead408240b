//! `/api/v1/charter/trips/{id}/patients`: patients of air-ambulance trips. Their records are
//! health data: only holders of `medical.read` read them (`medical.manage` records them), each
//! record is sealed at rest with the tenant's data key (`crate::crypto`, envelope encryption
//! under the configuration's master key), every read, listing and change is written to the
//! access log in the same transaction, and the audit log keeps the patient's id and legs, never
//! the record. Nothing here logs a record.

use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::access_log::{self, Logged};
use super::dto::{AccessLog, Patient, PatientList, PatientRecord, PatientWrite, Trip};
use super::{MEDICAL_MANAGE, MEDICAL_READ, trips};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::crypto::{self, CryptoError, MasterKey};
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::state::AppState;

pub struct PatientsApi;

#[derive(ApiResponse)]
enum Created {
    /// The patient.
    #[oai(status = 201)]
    Created(Json<Patient>),
}

/// A sealed row: id, trip, legs, sealed record, version, created, updated.
type Row = (
    Uuid,
    Uuid,
    Vec<i32>,
    Vec<u8>,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn context(id: Uuid) -> String {
    format!("charter_patient:{id}")
}

fn crypto_error(e: CryptoError) -> AppError {
    match e {
        CryptoError::Db(e) => e.into(),
        // A record that does not open (another master key, an altered row) is the operator's
        // problem, never the client's: logged without any of the data.
        other => AppError::Internal(anyhow::anyhow!("patient record: {other}")),
    }
}

/// The records of `rows`, opened.
async fn open_all(
    conn: &mut PgConnection,
    master: &MasterKey,
    tenant: Uuid,
    rows: Vec<Row>,
) -> Result<Vec<Patient>> {
    let mut out = Vec::with_capacity(rows.len());
    for (id, trip_id, legs, sealed, version, created_at, updated_at) in rows {
        let plain = crypto::open(conn, master, tenant, &context(id), &sealed)
            .await
            .map_err(crypto_error)?;
        let record: PatientRecord = serde_json::from_slice(&plain)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("patient record: {e}")))?;
        out.push(Patient {
            id,
            trip_id,
            legs,
            record,
            version,
            created_at,
            updated_at,
        });
    }
    Ok(out)
}

const SELECT: &str =
    "select id, trip_id, legs, sealed, version, created_at, updated_at from charter_patients";

fn legs_of(trip: &Trip, asked: Option<&Vec<i32>>) -> Result<Vec<i32>> {
    let legs: Vec<i32> = match asked {
        Some(l) => l.clone(),
        None => trip
            .legs
            .iter()
            .filter(|l| !l.positioning)
            .map(|l| l.seq)
            .collect(),
    };
    if legs.is_empty() || legs.iter().any(|s| !trip.legs.iter().any(|l| l.seq == *s)) {
        return Err(AppError::validation(
            "legs",
            "names a leg the trip does not have",
        ));
    }
    Ok(legs)
}

fn check_record(r: &PatientRecord) -> Result<()> {
    if r.name.trim().is_empty() {
        return Err(AppError::validation("record.name", "must not be blank"));
    }
    if r.date_of_birth.is_some_and(|d| d > Utc::now().date_naive()) {
        return Err(AppError::validation(
            "record.date_of_birth",
            "must not be in the future",
        ));
    }
    Ok(())
}

/// What the audit keeps of a patient: no health data.
fn audited(id: Uuid, trip: Uuid, legs: &[i32]) -> serde_json::Value {
    serde_json::json!({"id": id, "trip_id": trip, "legs": legs})
}

fn sealed_json(r: &PatientRecord) -> Result<Vec<u8>> {
    serde_json::to_vec(r).map_err(|e| AppError::Internal(e.into()))
}

#[OpenApi(
    prefix_path = "/api/v1/charter/trips",
    tag = "super::Tag::CharterTrips"
)]
impl PatientsApi {
    /// A trip's patients with their records (health data). Each patient listed is written to
    /// the access log (`listed`).
    ///
    /// Permission: `medical.read`.
    #[oai(path = "/:id/patients", method = "get")]
    async fn list(
        &self,
        state: poem::web::Data<&std::sync::Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Json<PatientList>> {
        ctx.require(MEDICAL_READ)?;
        let master = MasterKey::of(&state.settings).map_err(crypto_error)?;
        let mut tx = ctx.begin().await?;
        trips::load(&mut tx, id.0, false).await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where trip_id = $1 order by created_at, id"
        )))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        let items = open_all(&mut tx, &master, ctx.tenant.id, rows).await?;
        let ids: Vec<Uuid> = items.iter().map(|p| p.id).collect();
        access_log::record(&mut tx, &ctx, Logged::Patient, &ids, "listed").await?;
        tx.commit().await?;
        Ok(Json(PatientList { items }))
    }

    /// Record a patient of the trip (sealed at rest; until the trip leaves: `409 trip-closed`).
    ///
    /// Permission: `medical.manage`. Audited as `charter_patient.created` (id and legs only);
    /// logged as `created`.
    #[oai(path = "/:id/patients", method = "post")]
    async fn create(
        &self,
        state: poem::web::Data<&std::sync::Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<PatientWrite>,
    ) -> Result<Created> {
        let b = body.0;
        ctx.require(MEDICAL_MANAGE)?;
        check_record(&b.record)?;
        let master = MasterKey::of(&state.settings).map_err(crypto_error)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        trips::require_not_left(&trip)?;
        let legs = legs_of(&trip, b.legs.as_ref())?;
        let pid = Uuid::now_v7();
        let sealed = crypto::seal(
            &mut tx,
            &master,
            ctx.tenant.id,
            &context(pid),
            &sealed_json(&b.record)?,
        )
        .await
        .map_err(crypto_error)?;
        sqlx::query(
            "insert into charter_patients (id, trip_id, legs, sealed, created_by)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(pid)
        .bind(trip.id)
        .bind(&legs)
        .bind(&sealed)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where id = $1")))
            .bind(pid)
            .fetch_one(&mut *tx)
            .await?;
        let patient = open_all(&mut tx, &master, ctx.tenant.id, vec![row])
            .await?
            .remove(0);
        access_log::record(&mut tx, &ctx, Logged::Patient, &[pid], "created").await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_patient.created",
                resource_type: "charter_patient",
                resource_id: Some(pid.to_string()),
                before: None,
                after: Some(audited(pid, trip.id, &legs)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(patient)))
    }

    /// One patient with their record; the read is written to the access log (`read`).
    ///
    /// Permission: `medical.read`.
    #[oai(path = "/:id/patients/:patient_id", method = "get")]
    async fn get(
        &self,
        state: poem::web::Data<&std::sync::Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        patient_id: Path<Uuid>,
    ) -> Result<Json<Patient>> {
        ctx.require(MEDICAL_READ)?;
        let master = MasterKey::of(&state.settings).map_err(crypto_error)?;
        let mut tx = ctx.begin().await?;
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where trip_id = $1 and id = $2"
        )))
        .bind(id.0)
        .bind(patient_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or(AppError::NotFound("patient"))?;
        let patient = open_all(&mut tx, &master, ctx.tenant.id, vec![row])
            .await?
            .remove(0);
        access_log::record(&mut tx, &ctx, Logged::Patient, &[patient.id], "read").await?;
        tx.commit().await?;
        Ok(Json(patient))
    }

    /// Replace a patient's legs and record (with `version`, a concurrent change answers
    /// `409`; until the trip leaves).
    ///
    /// Permission: `medical.manage`. Audited as `charter_patient.updated` (id and legs only);
    /// logged as `updated`.
    #[oai(path = "/:id/patients/:patient_id", method = "put")]
    async fn replace(
        &self,
        state: poem::web::Data<&std::sync::Arc<AppState>>,
        ctx: TenantCtx,
        id: Path<Uuid>,
        patient_id: Path<Uuid>,
        body: JsonBody<PatientWrite>,
    ) -> Result<Json<Patient>> {
        let b = body.0;
        ctx.require(MEDICAL_MANAGE)?;
        check_record(&b.record)?;
        let master = MasterKey::of(&state.settings).map_err(crypto_error)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        let before: Option<(Vec<i32>, i32)> = sqlx::query_as(
            "select legs, version from charter_patients where trip_id = $1 and id = $2
                for update",
        )
        .bind(trip.id)
        .bind(patient_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (before_legs, version) = before.ok_or(AppError::NotFound("patient"))?;
        AppError::check_version("patient", b.version, version)?;
        trips::require_not_left(&trip)?;
        let legs = legs_of(&trip, b.legs.as_ref())?;
        let sealed = crypto::seal(
            &mut tx,
            &master,
            ctx.tenant.id,
            &context(patient_id.0),
            &sealed_json(&b.record)?,
        )
        .await
        .map_err(crypto_error)?;
        let row: Row = sqlx::query_as(
            "update charter_patients set legs = $2, sealed = $3, version = version + 1
              where id = $1
              returning id, trip_id, legs, sealed, version, created_at, updated_at",
        )
        .bind(patient_id.0)
        .bind(&legs)
        .bind(&sealed)
        .fetch_one(&mut *tx)
        .await?;
        let patient = open_all(&mut tx, &master, ctx.tenant.id, vec![row])
            .await?
            .remove(0);
        access_log::record(&mut tx, &ctx, Logged::Patient, &[patient.id], "updated").await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_patient.updated",
                resource_type: "charter_patient",
                resource_id: Some(patient.id.to_string()),
                before: Some(audited(patient.id, trip.id, &before_legs)),
                after: Some(audited(patient.id, trip.id, &legs)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(patient))
    }

    /// Who read, listed, printed or changed a patient's record, when and from which address,
    /// newest first (at most 1,000).
    ///
    /// Permission: `medical.manage`.
    #[oai(path = "/:id/patients/:patient_id/access-log", method = "get")]
    async fn access_log(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        patient_id: Path<Uuid>,
    ) -> Result<Json<AccessLog>> {
        ctx.require(MEDICAL_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let log = access_log::list(&mut tx, Logged::Patient, id.0, patient_id.0).await?;
        tx.end_read();
        Ok(Json(log))
    }
}
