//! Request and response objects of the __title__ domain (they become the OpenAPI schema: every
//! constraint the server enforces is declared here).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

/// An item as stored.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Item {
    pub id: Uuid,
    pub name: String,
    pub notes: Option<String>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new item.
#[derive(Object)]
pub struct ItemCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// A partial update: absent fields stay, `null` clears `notes`.
#[derive(Object)]
pub struct ItemUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    /// When given, the update applies only if the item still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of items, newest first.
#[derive(Object)]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
