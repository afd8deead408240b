//! `/api/v1/contacts`: the organisation's customers, vendors, FBOs, handlers, caterers,
//! ambulance services and hospitals. A contact with history (communications, people of an
//! organisation, records of other domains naming it) is never deleted: it is made inactive.
//! Every mutation writes its audit row in the same transaction.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Contact, ContactCreate, ContactKind, ContactPage, ContactRole, ContactUpdate};
use super::{CONTACTS_MANAGE, CONTACTS_READ};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct ContactsApi;

#[derive(ApiResponse)]
enum Created {
    /// The contact as stored.
    #[oai(status = 201)]
    Created(Json<Contact>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    #[sqlx(try_from = "String")]
    kind: ContactKind,
    name: String,
    roles: Vec<String>,
    organization_id: Option<Uuid>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    country: Option<String>,
    airport_code: Option<String>,
    finance_account_id: Option<Uuid>,
    notes: Option<String>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Contact {
    fn from(r: Row) -> Self {
        Contact {
            id: r.id,
            kind: r.kind,
            name: r.name,
            // The table's check constraint admits only known roles.
            roles: r
                .roles
                .into_iter()
                .filter_map(|s| ContactRole::try_from(s).ok())
                .collect(),
            organization_id: r.organization_id,
            email: r.email,
            phone: r.phone,
            address: r.address,
            country: r.country,
            airport_code: r.airport_code,
            finance_account_id: r.finance_account_id,
            notes: r.notes,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! contact_select {
    () => {
        "select id, kind, name, roles, organization_id, email, phone, address, country, \
         airport_code, finance_account_id, notes, active, version, created_at, updated_at \
         from contacts"
    };
}

/// One contact (`for update` with `lock`); `404` when the organisation has none by that id.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Contact> {
    let sql = if lock {
        concat!(contact_select!(), " where id = $1 for update")
    } else {
        concat!(contact_select!(), " where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    row.map(Contact::from).ok_or(AppError::NotFound("contact"))
}

fn roles_wire(roles: &[ContactRole]) -> Vec<String> {
    roles.iter().map(wire).collect()
}

/// The airport code as stored: the code the airports domain names it by (`TEB` → `KTEB`).
async fn airport_code(conn: &mut PgConnection, raw: &str) -> Result<String> {
    airports::by_code(conn, raw)
        .await?
        .map(|a| a.code)
        .ok_or_else(|| AppError::validation("airport_code", "names no airport or landing site"))
}

/// A person's organisation must be a contact of kind `organization`, and not the contact itself.
async fn check_organization(
    conn: &mut PgConnection,
    kind: ContactKind,
    id: Option<Uuid>,
    organization: Option<Uuid>,
) -> Result<()> {
    let Some(org) = organization else {
        return Ok(());
    };
    if kind != ContactKind::Person || Some(org) == id {
        return Err(AppError::validation(
            "organization_id",
            "only a person belongs to an organisation, and not to themselves",
        ));
    }
    let org_kind: Option<String> = sqlx::query_scalar("select kind from contacts where id = $1")
        .bind(org)
        .fetch_optional(conn)
        .await?;
    if org_kind.as_deref() != Some("organization") {
        return Err(AppError::validation(
            "organization_id",
            "names no organisation contact of this organisation",
        ));
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/contacts", tag = "super::Tag::Contacts")]
impl ContactsApi {
    /// Contacts, newest first: active ones unless `include_inactive`, narrowed by role,
    /// airport, organisation or a search of name, e-mail and phone.
    ///
    /// Permission: `contacts.read`.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only contacts with this role.
        role: Query<Option<ContactRole>>,
        /// Only contacts at this airport (its code as stored, `KTEB`).
        airport: Query<Option<String>>,
        /// Only the people of this organisation.
        organization_id: Query<Option<Uuid>>,
        /// Part of the name, e-mail or phone, any case.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Include inactive contacts (default `false`).
        #[oai(default)]
        include_inactive: Query<bool>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ContactPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CONTACTS_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(concat!(
            contact_select!(),
            " where id < $1
                and ($2::text is null or roles @> array[$2])
                and ($3::text is null or airport_code = upper($3))
                and ($4::uuid is null or organization_id = $4)
                and ($5::text is null or name ilike $5 or email ilike $5 or phone ilike $5)
                and ($6 or active)
              order by id desc limit $7"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(role.0.as_ref().map(wire))
        .bind(airport.0.as_deref().map(str::trim))
        .bind(organization_id.0)
        .bind(q.0.as_deref().map(page::contains_pattern))
        .bind(include_inactive.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Contact::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |c: &Contact| c.id);
        Ok(Json(ContactPage { items, next_cursor }))
    }

    /// Add a contact. `airport_code` must name an airport or landing site (stored as its
    /// code); `organization_id` a contact of kind `organization` (only for a person);
    /// `finance_account_id` a finance account of this organisation.
    ///
    /// Permission: `contacts.manage`. Audited as `contact.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<ContactCreate>) -> Result<Created> {
        let b = body.0;
        if b.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(CONTACTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = Uuid::now_v7();
        check_organization(&mut tx, b.kind, Some(id), b.organization_id).await?;
        let airport = match b.airport_code.as_deref() {
            Some(code) => Some(airport_code(&mut tx, code).await?),
            None => None,
        };
        sqlx::query(
            "insert into contacts (id, kind, name, roles, organization_id, email, phone, address,
                 country, airport_code, finance_account_id, notes)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(wire(&b.kind))
        .bind(b.name.trim())
        .bind(roles_wire(&b.roles))
        .bind(b.organization_id)
        .bind(b.email.as_deref().map(str::trim))
        .bind(b.phone.as_deref().map(str::trim))
        .bind(&b.address)
        .bind(&b.country)
        .bind(&airport)
        .bind(b.finance_account_id)
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let contact = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "contact.created",
            "contact",
            id,
            &contact,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(contact)))
    }

    /// One contact.
    ///
    /// Permission: `contacts.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Contact>> {
        ctx.require(CONTACTS_READ)?;
        let mut tx = ctx.begin().await?;
        let contact = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(contact))
    }

    /// Change a contact (its kind stays); `active: false` keeps it with its history but leaves
    /// it out of lists. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `contacts.manage`. Audited as `contact.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ContactUpdate>,
    ) -> Result<Json<Contact>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(CONTACTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("contact", b.version, before.version)?;
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        if let Some(r) = &b.roles {
            after.roles = r.clone();
        }
        if let Some(a) = b.active {
            after.active = a;
        }
        merge(&mut after.organization_id, &b.organization_id);
        merge(&mut after.email, &b.email);
        merge(&mut after.phone, &b.phone);
        merge(&mut after.address, &b.address);
        merge(&mut after.country, &b.country);
        merge(&mut after.finance_account_id, &b.finance_account_id);
        merge(&mut after.notes, &b.notes);
        if b.organization_id.is_value() {
            check_organization(&mut tx, after.kind, Some(id.0), after.organization_id).await?;
        }
        match &b.airport_code {
            MaybeUndefined::Value(code) => {
                after.airport_code = Some(airport_code(&mut tx, code).await?);
            }
            MaybeUndefined::Null => after.airport_code = None,
            MaybeUndefined::Undefined => {}
        }
        sqlx::query(
            "update contacts set name = $2, roles = $3, organization_id = $4, email = $5,
                 phone = $6, address = $7, country = $8, airport_code = $9,
                 finance_account_id = $10, notes = $11, active = $12, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&after.name)
        .bind(roles_wire(&after.roles))
        .bind(after.organization_id)
        .bind(after.email.as_deref().map(str::trim))
        .bind(after.phone.as_deref().map(str::trim))
        .bind(&after.address)
        .bind(&after.country)
        .bind(&after.airport_code)
        .bind(after.finance_account_id)
        .bind(&after.notes)
        .bind(after.active)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "contact.updated",
            "contact",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a contact that has no history: `409 contact-in-use` while it has communications,
    /// people of its organisation or records of other modules (quotes, trips) naming it; make
    /// it inactive instead. Its FBO profile goes with it.
    ///
    /// Permission: `contacts.manage`. Audited as `contact.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(CONTACTS_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        let in_use: bool = sqlx::query_scalar(
            "select exists (select 1 from contact_communications where contact_id = $1)
                 or exists (select 1 from contacts where organization_id = $1)",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        let refused = || AppError::Conflict {
            code: "contact-in-use",
            detail: "the contact has history or records naming it; set active to false instead"
                .into(),
            field: None,
        };
        if in_use {
            return Err(refused());
        }
        // Records of other modules hold foreign keys to contacts (`on delete restrict`).
        let deleted = audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "contacts",
            "contact.deleted",
            "contact",
            id.0,
            &before,
        )
        .await;
        match deleted {
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23503") => {
                return Err(refused());
            }
            other => other?,
        }
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
