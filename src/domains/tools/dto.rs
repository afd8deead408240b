//! Request and response objects of the tools module.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

/// A note.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Note {
    pub id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub pinned: bool,
    /// The user who wrote it (null once that user is deleted).
    pub author_id: Option<Uuid>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new note.
#[derive(Object)]
#[oai(example)]
pub struct NoteCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
    /// Defaults to false.
    pub pinned: Option<bool>,
}

impl poem_openapi::types::Example for NoteCreate {
    fn example() -> Self {
        NoteCreate {
            title: "N172SP oil change due".into(),
            body: Some("Due at 1,234.5 tach; booked with maintenance for Friday.".into()),
            pinned: Some(true),
        }
    }
}

/// A partial update; absent fields are left as they are, `body: null` clears the body.
#[derive(Object)]
pub struct NoteUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 100000))]
    pub body: MaybeUndefined<String>,
    pub pinned: Option<bool>,
    /// When given, the update applies only if the note still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of notes, newest first.
#[derive(Object)]
pub struct NotePage {
    pub items: Vec<Note>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
